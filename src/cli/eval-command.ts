import type { Explainer } from '../explain/explain.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../files/atomic-write-node.ts';
import { dirname, extname, join } from 'node:path';
import type { Rule } from '../ops/common/rules.ts';
import { wnidsFromText } from '../datasets/imagenet-val.ts';
import { evaluateLocalization } from '../eval/localization-eval.ts';
import { evaluateFaithfulness, readFaithfulnessLabels, type FaithfulnessResult } from '../eval/faithfulness.ts';
import { writeFaithfulnessPlots } from '../eval/faithfulness-plots.ts';
import { faithfulnessTable, localizationTable, parametersTable, saliencyTable } from '../eval/report.ts';
import { MethodUnavailableError, parseMethods, type MethodSpec } from '../explain/methods.ts';
import { evaluateSaliency, type SaliencyEvalOptions } from '../eval/saliency-eval.ts';
import { jsonText } from '../explain/json-text.ts';
import type { Model } from '../graph/model.ts';
import { describePreprocess } from '../model/preprocess.ts';
import { AttentionMapper } from '../postprocess/attention-mapper.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { checkOutputFile, prepareOutputFolder, UsageError } from './output-paths.ts';
import { progressReporter } from './progress.ts';
import { openExplainer, type ModelOptions } from './session.ts';

export interface EvalOptions extends ModelOptions {
  rule: Rule;
  settings: MapSettings;
  multiCrop: boolean;
  limit?: number;
  json?: string;
}

async function withExplainer<T>(options: EvalOptions, run: (explainer: Explainer, mapper: AttentionMapper, model: Model, adapter: string) => Promise<T>): Promise<T> {
  if (options.json) await checkOutputFile(options.json, '--json');
  const { model, context, explainer } = await openExplainer(options);
  const mapper = await AttentionMapper.create(context);
  try {
    return await run(explainer, mapper, model, context.adapter.name);
  } finally {
    mapper.destroy();
    explainer.destroy();
    context.device.destroy();
  }
}

/** A progress reporter that starts when the evaluation says how many photos there are. */
function lazyProgress(): { tick(file: string, done: number, total: number): void; stop(): void } {
  let reporter: ReturnType<typeof progressReporter> | null = null;
  return {
    tick(file, _done, total) {
      reporter ??= progressReporter(total);
      reporter.tick(file);
    },
    stop: () => reporter?.stop(),
  };
}

function printReport(title: string, parameters: Record<string, unknown>, settings: MapSettings, table: string, failed: { file: string; error: string }[]): void {
  console.log(`\n## ${title}\n\n${parametersTable(parameters, settings)}\n\n${table}\n`);
  for (const f of failed) console.log(`failed: ${f.file}: ${f.error}`);
}

export async function evalSaliencyCommand(options: EvalOptions & { images: string; masks: string; transposedPhotos: SaliencyEvalOptions['transposedPhotos'] }): Promise<void> {
  await withExplainer(options, async (explainer, mapper, model, adapter) => {
    const progress = lazyProgress();
    const result = await evaluateSaliency(explainer, mapper, { ...options, onImage: progress.tick });
    progress.stop();
    const rotated = result.images.filter((r) => r.rotated !== 0).length;
    const parameters = {
      model: model.name,
      preprocessing: describePreprocess(model.preprocess),
      adapter,
      rule: options.rule,
      'multi-crop': options.multiCrop,
      images: options.images,
      masks: options.masks,
      'photos stored on their side': `${rotated} turned upright (${options.transposedPhotos})`,
    };
    printReport('Saliency (How you see me, Table I protocol)', parameters, options.settings, saliencyTable(result), result.failed);
    if (options.json) await writeFileAtomic(options.json, jsonText({ parameters, preprocess: model.preprocess, settings: options.settings, ...result }));
  });
}

/** The model's classes as wnids: --wnids, else darknet's wnids.txt beside the cfg, else synsets.txt beside labels.csv. */
function modelWnids(model: Model, modelPath: string, labels: string, explicit?: string): string[] {
  const candidates = [explicit, extname(modelPath) === '.cfg' ? join(dirname(modelPath), 'wnids.txt') : undefined, join(dirname(labels), 'synsets.txt')];
  const file = candidates.find((c): c is string => c !== undefined && existsSync(c));
  if (!file) throw new UsageError('cannot map the model\'s classes to wnids: pass --wnids <file> (one wnid per line, in the model\'s output order)');
  const wnids = wnidsFromText(readFileSync(file, 'utf8')).map((line) => line.split(/\s+/)[0]);
  if (wnids.length !== model.labels.length) throw new UsageError(`${file} lists ${wnids.length} wnids for ${model.labels.length} classes`);
  return wnids;
}

export async function evalLocalizationCommand(options: EvalOptions & { images: string; labels: string; wnids?: string }): Promise<void> {
  await withExplainer(options, async (explainer, mapper, model, adapter) => {
    const wnids = modelWnids(model, options.model, options.labels, options.wnids);
    const progress = lazyProgress();
    const result = await evaluateLocalization(explainer, mapper, { ...options, wnids, onImage: progress.tick });
    progress.stop();
    const parameters = { model: model.name, preprocessing: describePreprocess(model.preprocess), adapter, rule: options.rule, 'multi-crop': options.multiCrop, images: options.images, labels: options.labels, 'IoU needed': 0.5 };
    printReport('Weakly supervised localization (CNN Fixations protocol)', parameters, options.settings, localizationTable(result), result.failed);
    if (options.json) await writeFileAtomic(options.json, jsonText({ parameters, preprocess: model.preprocess, settings: options.settings, ...result }));
  });
}

export interface EvalFaithfulnessOptions extends Omit<EvalOptions, 'multiCrop'> {
  images: string;
  labels: string;
  wnids?: string;
  methods: string;
  steps: number;
  target: 'top-1' | 'true';
  sanityPhotos: number;
  seed: number;
  panels: number;
  plots?: string;
}

function requireExisting(path: string, option: string, what: 'file' | 'folder'): void {
  if (!existsSync(path)) throw new UsageError(`${option} ${path} does not exist; give the ${what} of ${option === '--images' ? 'photos' : 'labels (labels.csv)'}`);
  const isFolder = statSync(path).isDirectory();
  if (isFolder !== (what === 'folder')) throw new UsageError(`${option} ${path} is a ${isFolder ? 'folder' : 'file'}; give a ${what}`);
}

export async function evalFaithfulnessCommand(options: EvalFaithfulnessOptions): Promise<void> {
  requireExisting(options.images, '--images', 'folder');
  requireExisting(options.labels, '--labels', 'file');
  let methods: MethodSpec[];
  try {
    methods = parseMethods(options.methods, options.rule);
  } catch (error) {
    throw new UsageError(`--methods: ${(error as Error).message}`);
  }
  if (options.plots) await prepareOutputFolder(options.plots, '--plots');
  await withExplainer({ ...options, multiCrop: false }, async (explainer, mapper, model, adapter) => {
    const hasWnidColumn = readFileSync(options.labels, 'utf8').split(/\r?\n/, 1)[0].split(',')[2]?.trim() === 'wnid';
    const wnids = hasWnidColumn ? (() => { try { return modelWnids(model, options.model, options.labels, options.wnids); } catch (error) { if (options.target === 'true') throw error; return null; } })() : null;
    let entries;
    try {
      entries = readFaithfulnessLabels(options.labels, wnids);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    entries = entries.slice(0, options.limit ?? Infinity);
    if (entries.length === 0) throw new UsageError(`--labels ${options.labels} lists no photos`);
    const progress = lazyProgress();
    let result: FaithfulnessResult;
    try {
      result = await evaluateFaithfulness(explainer, mapper, {
        images: options.images,
        entries,
        methods,
        dropUnavailable: options.methods.trim() === 'all',
        settings: options.settings,
        steps: options.steps,
        target: options.target,
        sanityPhotos: Math.min(options.sanityPhotos, entries.length),
        seed: options.seed,
        keepPhotos: options.plots ? options.panels : 0,
        onPhoto: (file, done, total, note) => progress.tick(`${file}: ${note}`, done, total),
        onSanityStep: (layer, done, total) => console.error(`sanity check: ${done}/${total} layers re-initialised (down to ${layer})`),
        onNote: (note) => console.error(`note: ${note}`),
      });
    } catch (error) {
      if (error instanceof MethodUnavailableError) throw new UsageError(error.message);
      throw error;
    } finally {
      progress.stop();
    }
    const withBoxes = result.photos.filter((p) => p.boxes > 0).length;
    const parameters = {
      model: model.name,
      preprocessing: describePreprocess(model.preprocess),
      adapter,
      images: options.images,
      labels: options.labels,
      methods: Object.keys(result.methods).join(', '),
      ...(Object.keys(result.dropped).length > 0 ? { 'left out': Object.entries(result.dropped).map(([m, why]) => `${m} (${why})`).join('; ') } : {}),
      target: options.target === 'top-1' ? 'the top-1 class of each photo' : 'the true class of each photo',
      steps: options.steps,
      'deletion/insertion': 'pixels (all channels) of the model input replaced by a blurred copy (deletion) or restored into it (insertion) in order of the map at model-input pixels, ties in a seeded random order; RISE blur gkern(11, 5), zero padding; AUC by trapezoid over the fraction 0…1',
      'pointing games': withBoxes > 0 ? `${withBoxes} photos with ground-truth boxes; hit = maximum inside a box (ties: share of the maximal pixels inside), energy = share of the map's sum inside the boxes` : 'skipped: the labels give no boxes',
      normalisation: 'every map min–max to [0, 1] in photo pixels (and again over the photo at model-input pixels)',
      'sanity check': result.sanityPhotos > 0 ? `cascading re-initialisation (He-uniform, biases 0, seed ${options.seed}) of ${result.sanityLayers.length} layers from the top, on the first ${result.sanityPhotos} photos; Spearman ρ with the original map, target fixed` : 'not run',
      'photos/s': Number(result.throughput.photosPerSecond.toFixed(3)),
      'forwards/s': Number(result.throughput.forwardsPerSecond.toFixed(2)),
    };
    printReport('Faithfulness (deletion, insertion, pointing game, sanity check)', parameters, options.settings, faithfulnessTable(result), result.failed);
    if (options.json) {
      const methodsJson = Object.fromEntries(
        Object.entries(result.methods).map(([name, m]) => [name, { deletionAuc: m.deletionAuc, insertionAuc: m.insertionAuc, pointingGame: m.pointingGame, energyPointingGame: m.energyPointingGame, sanity: m.sanity, deletionCurve: m.deletionCurve, insertionCurve: m.insertionCurve }]),
      );
      await writeFileAtomic(
        options.json,
        jsonText({ photos: result.photos.length, parameters: { ...parameters, settings: options.settings, seed: options.seed, sanityPhotos: result.sanityPhotos }, methods: methodsJson, dropped: result.dropped, throughput: result.throughput, perPhoto: result.photos, failed: result.failed }),
      );
    }
    if (options.plots) {
      const written = await writeFaithfulnessPlots(options.plots, result, model.name);
      console.log(`wrote ${written.length} plots into ${options.plots}`);
    }
    if (result.photos.length === 0) process.exitCode = 1;
  });
}
