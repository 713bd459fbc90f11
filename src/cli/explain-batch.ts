import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rule } from '../ops/common/rules.ts';
import { decodeImageFile } from '../image/decode-node.ts';
import { jsonText } from '../explain/json-text.ts';
import { AttentionMapper } from '../postprocess/attention-mapper.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { colormapTable, type ColormapName } from '../render/colormap.ts';
import { expandInputs, outputNames, takeShard, type Shard } from './inputs.ts';
import { outputFiles, writeExplanationOutputs } from './explain-outputs.ts';
import { openExplainer, type ModelOptions } from './session.ts';
import { progressReporter } from './progress.ts';

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

export interface BatchSummary {
  total: number;
  done: string[];
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
  const summary: BatchSummary = { total: mine.length, done: [], skipped: [], failed: [] };
  const started = performance.now();
  const progress = progressReporter(mine.length);
  try {
    for (const { file, base } of mine) {
      if (!options.force && existsSync(join(options.out, outputFiles(base).json))) {
        summary.skipped.push(file);
      } else {
        try {
          const photo = await decodeImageFile(file);
          await writeExplanationOutputs(explainer, mapper, photo, file, options.out, base, { ...options, target: options.class, colormap });
          summary.done.push(file);
        } catch (error) {
          if (context.lost) throw context.lost;
          summary.failed.push({ file, error: (error as Error).message });
        }
      }
      progress.tick(file);
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
