import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rule } from '../backtrack/rules.ts';
import { decodeImageFile } from '../image/decode-node.ts';
import { jsonText } from '../json-text.ts';
import { AttentionMapper } from '../postprocess/attention-mapper.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { colormapTable, type ColormapName } from '../render/colormap.ts';
import { expandInputs, outputNames, takeShard, type Shard } from './inputs.ts';
import { outputFiles, writeExplanationOutputs } from './explain-outputs.ts';
import { openExplainer, type ModelOptions } from './session.ts';
import { progressReporter } from './progress.ts';
import type { Prediction } from '../predictions.ts';
import { counted } from '../plural.ts';

export interface BatchOptions extends ModelOptions {
  out: string;
  rule: Rule;
  class?: number;
  settings: MapSettings;
  colormap: ColormapName;
  shard?: Shard;
  /** Redo photos whose outputs exist. */
  force: boolean;
  timings: boolean;
}

/** What one photo came to: its explained class and how many fixations it has (model input, and kept on the photo). */
export interface BatchResult {
  file: string;
  target: Prediction;
  fixations: number;
}

export interface BatchSummary {
  total: number;
  done: string[];
  /** One per photo done, in the order of `done`. */
  results: BatchResult[];
  skipped: string[];
  failed: { file: string; error: string }[];
}

/**
 * Explains every photo of the inputs into `out`: pictures and JSON per photo, a summary.json at the end. Keeps going
 * past files that fail, skips photos whose JSON already exists (resume), and takes only its shard when given one.
 */
export async function explainBatch(inputs: string[], options: BatchOptions): Promise<BatchSummary> {
  const all = await expandInputs(inputs);
  const names = outputNames(all);
  const mine = takeShard(all.map((file, i) => ({ file, base: names[i] })), options.shard);
  await mkdir(options.out, { recursive: true });
  const { model, context, explainer } = await openExplainer(options);
  const mapper = await AttentionMapper.create(context);
  const colormap = colormapTable(options.colormap);
  const summary: BatchSummary = { total: mine.length, done: [], results: [], skipped: [], failed: [] };
  const started = performance.now();
  const progress = progressReporter(mine.length);
  try {
    for (const { file, base } of mine) {
      let line: string;
      if (!options.force && existsSync(join(options.out, outputFiles(base).json))) {
        summary.skipped.push(file);
        line = 'already done';
      } else {
        try {
          const photo = await decodeImageFile(file);
          const json = await writeExplanationOutputs(explainer, mapper, photo, file, options.out, base, { ...options, target: options.class, colormap });
          const result: BatchResult = { file, target: json.target as Prediction, fixations: (json.fixations as unknown[]).length };
          summary.done.push(file);
          summary.results.push(result);
          line = `${result.target.label} ${(result.target.probability * 100).toFixed(1)} %, ${counted(result.fixations, 'fixation')}`;
        } catch (error) {
          if (context.lost) throw context.lost;
          summary.failed.push({ file, error: (error as Error).message });
          line = `failed: ${(error as Error).message}`;
        }
      }
      progress.tick(file, line);
    }
  } finally {
    progress.stop();
    mapper.destroy();
    explainer.destroy();
    context.device.destroy();
  }
  await writeFile(
    join(options.out, options.shard ? `summary-${options.shard.index}-of-${options.shard.count}.json` : 'summary.json'),
    jsonText({
      model: model.name,
      preprocess: model.preprocess,
      rule: options.rule,
      target: options.class ?? 'top-1',
      settings: options.settings,
      shard: options.shard ?? null,
      elapsedMs: Math.round(performance.now() - started),
      ...summary,
    }),
  );
  console.log(`${summary.done.length} explained, ${summary.skipped.length} already done, ${summary.failed.length} failed → ${options.out}`);
  for (const { file, error } of summary.failed) console.log(`  failed: ${file}: ${error}`);
  return summary;
}
