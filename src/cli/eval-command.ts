import type { Explainer } from '../explain/explain.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../files/atomic-write-node.ts';
import { dirname, extname, join } from 'node:path';
import type { Rule } from '../ops/common/rules.ts';
import { wnidsFromText } from '../datasets/imagenet-val.ts';
import { evaluateLocalization, type LocalizationEvalResult } from '../eval/localization-eval.ts';
import { evaluateFaithfulness, readFaithfulnessLabels, type FaithfulnessResult } from '../eval/faithfulness.ts';
import { writeFaithfulnessPlots } from '../eval/faithfulness-plots.ts';
import { faithfulnessTable, localizationMethodsTable, localizationTable, parametersTable, saliencyMethodsTable, saliencyTable } from '../eval/report.ts';
import { methodName, methodRefusal, MethodUnavailableError, parseMethods, type MethodSpec } from '../explain/methods.ts';
import { evaluateSaliency, type SaliencyEvalOptions, type SaliencyEvalResult } from '../eval/saliency-eval.ts';
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
  /** `--method`: a list of methods, or all (saliency and localization; default fixations with `rule`). */
  method?: string;
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

/**
 * A progress reporter shown once the evaluation says how many photos there are (at the first photo's end); its rate
 * counts from the start, so the first photo's time is in it.
 */
function lazyProgress(): { tick(file: string, done: number, total: number): void; stop(): void } {
  const started = performance.now();
  let reporter: ReturnType<typeof progressReporter> | null = null;
  return {
    tick(file, _done, total) {
      reporter ??= progressReporter(total, started);
      reporter.tick(file);
    },
    stop: () => reporter?.stop(),
  };
}

/**
 * The methods of `--method` that apply to the model: with `all`, those that do not are left out with a note; named
 * explicitly, one that does not is an error naming the model. Multi-crop is for fixations only.
 */
function evalMethods(options: EvalOptions, model: Model): MethodSpec[] {
  let specs: MethodSpec[];
  try {
    specs = parseMethods(options.method ?? 'fixations', options.rule);
  } catch (error) {
    throw new UsageError(`--method: ${(error as Error).message}`);
  }
  const all = options.method?.trim() === 'all';
  if (options.multiCrop && specs.some((s) => s.kind !== 'fixations')) {
    if (!all) throw new UsageError('--multi-crop applies to fixations only; drop it or use --method fixations');
    specs = specs.filter((s) => s.kind === 'fixations');
    console.error('note: --multi-crop: only the fixations rows are made');
  }
  return specs.filter((spec) => {
    const refusal = methodRefusal(spec, model);
    if (refusal && !all) throw new UsageError(refusal);
    if (refusal) console.error(`note: ${methodName(spec)} left out: ${refusal}`);
    return !refusal;
  });
}

function printReport(title: string, parameters: Record<string, unknown>, settings: MapSettings, table: string, failed: { file: string; error: string }[]): void {
  console.log(`\n## ${title}\n\n${parametersTable(parameters, settings)}\n\n${table}\n`);
  for (const f of failed) console.log(`failed: ${f.file}: ${f.error}`);
}

export async function evalSaliencyCommand(options: EvalOptions & { images: string; masks: string; transposedPhotos: SaliencyEvalOptions['transposedPhotos'] }): Promise<void> {
  await withExplainer(options, async (explainer, mapper, model, adapter) => {
    const methods = evalMethods(options, model);
    const results: [string, SaliencyEvalResult][] = [];
    for (const method of methods) {
      const progress = lazyProgress();
      results.push([methodName(method), await evaluateSaliency(explainer, mapper, { ...options, method, onImage: progress.tick })]);
      progress.stop();
    }
    const [, result] = results[0];
    const rotated = result.images.filter((r) => r.rotated !== 0).length;
    const parameters = {
      model: model.name,
      preprocessing: describePreprocess(model.preprocess),
      adapter,
      ...(methods.length === 1 && methods[0].kind === 'fixations' ? { rule: methods[0].rule } : { methods: results.map(([name]) => name).join(', ') }),
      'multi-crop': options.multiCrop,
      images: options.images,
      masks: options.masks,
      'photos stored on their side': `${rotated} turned upright (${options.transposedPhotos})`,
    };
    const table = results.length === 1 && !options.method ? saliencyTable(result) : saliencyMethodsTable(results);
    printReport('Saliency (How you see me, Table I protocol)', parameters, options.settings, table, results.flatMap(([name, r]) => r.failed.map((f) => (results.length > 1 ? { ...f, file: `${name}: ${f.file}` } : f))));
    if (options.json) {
      const body = results.length === 1 ? { parameters, preprocess: model.preprocess, settings: options.settings, method: results[0][0], ...result } : { parameters, preprocess: model.preprocess, settings: options.settings, methods: Object.fromEntries(results) };
      await writeFileAtomic(options.json, jsonText(body));
    }
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
    const methods = evalMethods(options, model);
    const results: [string, LocalizationEvalResult][] = [];
    for (const method of methods) {
      const progress = lazyProgress();
      results.push([methodName(method), await evaluateLocalization(explainer, mapper, { ...options, method, wnids, onImage: progress.tick })]);
      progress.stop();
    }
    const methodsParameter = methods.length === 1 && methods[0].kind === 'fixations' ? { rule: methods[0].rule } : { methods: results.map(([name]) => name).join(', '), 'box of other methods': 'the largest region of the thresholded map' };
    const parameters = { model: model.name, preprocessing: describePreprocess(model.preprocess), adapter, ...methodsParameter, 'multi-crop': options.multiCrop, images: options.images, labels: options.labels, 'IoU needed': 0.5 };
    const table = results.length === 1 && !options.method ? localizationTable(results[0][1]) : localizationMethodsTable(results);
    printReport('Weakly supervised localization (CNN Fixations protocol)', parameters, options.settings, table, results.flatMap(([name, r]) => r.failed.map((f) => (results.length > 1 ? { ...f, file: `${name}: ${f.file}` } : f))));
    if (options.json) {
      const body = results.length === 1 ? { parameters, preprocess: model.preprocess, settings: options.settings, method: results[0][0], ...results[0][1] } : { parameters, preprocess: model.preprocess, settings: options.settings, methods: Object.fromEntries(results) };
      await writeFileAtomic(options.json, jsonText(body));
    }
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
    // Started before the first photo, so its rate counts the first photo's time too.
    const progress = progressReporter(entries.length);
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
        onPhoto: (file, _done, _total, note) => progress.tick(file, note),
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
      'gap head': options.gapHead === 'dense' ? 'linear 1×1 conv → GAP rewritten as GAP → dense (--gap-head dense)' : 'as loaded',
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
