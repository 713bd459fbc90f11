import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write-node.ts';
import type { Rule } from '../ops/common/rules.ts';
import { decodeImageFile } from '../image/decode-node.ts';
import { jsonText } from '../explain/json-text.ts';
import { looksLikeModelName } from '../weights/cached-model.ts';
import { AttentionMapper } from '../postprocess/attention-mapper.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { colormapTable, type ColormapName } from '../render/colormap.ts';
import { expandInputs, outputNames, takeShard, type Shard } from './inputs.ts';
import { outputFiles, runDifferences, writeExplanationOutputs, type RunRecord } from './explain-outputs.ts';
import { prepareOutputFolder, UsageError } from './output-paths.ts';
import { openExplainer, type ModelOptions } from './session.ts';
import { progressReporter } from './progress.ts';
import type { Prediction } from '../explain/predictions.ts';
import { counted } from '../explain/plural.ts';
import { methodName, methodRefusal, type MethodSpec } from '../explain/methods.ts';

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
  /** `--method` (default fixations with `rule`). */
  method?: MethodSpec;
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

/** What decides a photo's outputs in this run; a photo's JSON records it, and resume compares it. */
function runRecord(options: BatchOptions): RunRecord {
  const path = (p: string | undefined) => (p === undefined ? null : resolve(p));
  const source = !existsSync(options.model) && looksLikeModelName(options.model) ? options.model : resolve(options.model);
  return {
    model: { source, weights: path(options.weights), arch: options.arch ?? null, classNames: path(options.classNames) },
    rule: options.rule,
    target: options.class ?? 'top-1',
    settings: options.settings,
    colormap: options.colormap,
    ...(options.method && options.method.kind !== 'fixations' ? { method: methodName(options.method) } : {}),
  };
}

/** The `run` recorded in a photo's JSON; null when the JSON is unreadable (a damaged file is redone, not kept). */
async function storedRun(path: string): Promise<{ run: unknown } | null> {
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as { run?: unknown };
    return typeof json === 'object' && json !== null ? { run: json.run } : null;
  } catch {
    return null;
  }
}

/**
 * Which photos are already done: those whose JSON exists and records this run's settings. Photos done with other
 * settings stop the run before any work, saying what differs: keeping them would mix two kinds of output in one
 * folder under one summary.
 */
async function alreadyDone(photos: { file: string; base: string }[], out: string, run: RunRecord): Promise<Set<string>> {
  const done = new Set<string>();
  const other: { json: string; differences: string[] }[] = [];
  for (const { base } of photos) {
    const json = outputFiles(base).json;
    if (!existsSync(join(out, json))) continue;
    const stored = await storedRun(join(out, json));
    if (!stored) continue;
    const differences = runDifferences(stored.run, run);
    if (differences.length === 0) done.add(base);
    else other.push({ json, differences });
  }
  if (other.length > 0) {
    const [first] = other;
    throw new UsageError(
      `${out} already holds outputs of ${other.length} of these photos made with other settings (${first.json}: ${first.differences.join('; ')}): ` +
        'pass --force to redo them with these settings, or choose another --out',
    );
  }
  return done;
}

/** No output may replace an input (--out is the photos' own folder and a photo is named like another's output). */
function checkNoInputOverwritten(inputs: string[], photos: { base: string }[], out: string): void {
  const inputPaths = new Set(inputs.map((file) => resolve(file)));
  for (const { base } of photos) {
    for (const name of Object.values(outputFiles(base))) {
      if (inputPaths.has(resolve(out, name))) throw new UsageError(`the output ${join(out, name)} would replace an input of this run; choose another --out`);
    }
  }
}

/**
 * Explains every photo of the inputs into `out`: pictures and JSON per photo, a summary.json at the end. Keeps going
 * past files that fail, skips photos whose JSON already exists with the same settings (resume), and takes only its
 * shard when given one. The output folder and any earlier outputs are checked before the model is loaded.
 */
export async function explainBatch(inputs: string[], options: BatchOptions): Promise<BatchSummary> {
  const all = await expandInputs(inputs);
  const names = outputNames(all);
  const mine = takeShard(all.map((file, i) => ({ file, base: names[i] })), options.shard);
  await prepareOutputFolder(options.out, '--out');
  checkNoInputOverwritten(all, mine, options.out);
  const run = runRecord(options);
  const done = options.force ? new Set<string>() : await alreadyDone(mine, options.out, run);
  const { model, context, explainer } = await openExplainer(options);
  const refusal = options.method ? methodRefusal(options.method, model) : null;
  if (refusal) {
    explainer.destroy();
    context.device.destroy();
    throw new UsageError(refusal);
  }
  const mapper = await AttentionMapper.create(context);
  const colormap = colormapTable(options.colormap);
  const summary: BatchSummary = { total: mine.length, done: [], results: [], skipped: [], failed: [] };
  const started = performance.now();
  const progress = progressReporter(mine.length);
  try {
    for (const { file, base } of mine) {
      let line: string;
      if (done.has(base)) {
        summary.skipped.push(file);
        line = 'already done';
      } else {
        try {
          const photo = await decodeImageFile(file);
          const json = await writeExplanationOutputs(explainer, mapper, photo, file, options.out, base, { ...options, target: options.class, colormap, run });
          const result: BatchResult = { file, target: json.target as Prediction, fixations: (json.fixations as unknown[]).length };
          const what = options.method && options.method.kind !== 'fixations' ? methodName(options.method) : null;
          summary.done.push(file);
          summary.results.push(result);
          line = `${result.target.label} ${(result.target.probability * 100).toFixed(1)} %, ${what ?? counted(result.fixations, 'fixation')}`;
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
  await writeFileAtomic(
    join(options.out, options.shard ? `summary-${options.shard.index}-of-${options.shard.count}.json` : 'summary.json'),
    jsonText({
      model: model.name,
      run,
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
