/**
 * `eval faithfulness`: every method's map of each photo scored by deletion and insertion (RISE), the pointing game and
 * its energy form against the photo's ground-truth boxes, and the cascading model-parameter randomization sanity check
 * (Adebayo et al. 2018). See postprocess/faithfulness-metrics.ts for the metrics themselves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseImagenetValLabels } from '../datasets/imagenet-val.ts';
import { endsInSoftmax } from '../explain/classify.ts';
import { Explainer, type ForwardState } from '../explain/explain.ts';
import type { Photo } from '../explain/explanation-maps.ts';
import { methodMap, methodName, MethodUnavailableError, seedOf, type MethodMap, type MethodSpec } from '../explain/methods.ts';
import { probabilities } from '../explain/predictions.ts';
import { inputTensor, type GraphNode, type Model } from '../graph/model.ts';
import { seededRandom } from '../graph/random-model.ts';
import { decodeImageFile } from '../image/decode-node.ts';
import { hasWeights, opOf } from '../ops/registry.ts';
import type { AttentionMapper } from '../postprocess/attention-mapper.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import {
  areaUnderCurve,
  blurChw,
  energyPointingGame,
  perturbedInputs,
  pixelOrder,
  pointingGame,
  spearman,
  type EdgeBox,
} from '../postprocess/faithfulness-metrics.ts';

/** One photo to evaluate: its file, its true class in the model's output order (if known), its boxes. */
export interface FaithfulnessEntry {
  file: string;
  trueClass: number | null;
  boxes: EdgeBox[];
}

/**
 * labels.csv in either form: ImageNet's `file,class,wnid,…,boxes` (classes mapped to the model's order through
 * `wnids`, boxes kept) or `file,class[,name]` with classes in the model's order and no boxes (the ResNet-20 photos).
 */
export function readFaithfulnessLabels(path: string, wnids: string[] | null): FaithfulnessEntry[] {
  const text = readFileSync(path, 'utf8');
  const header = text.split(/\r?\n/, 1)[0].split(',').map((h) => h.trim());
  if (header[0] !== 'file' || header[1] !== 'class') throw new Error(`${path}: expected a header starting file,class`);
  if (header[2] === 'wnid') {
    return parseImagenetValLabels(text).map((e) => {
      const index = wnids ? wnids.indexOf(e.wnid) : -1;
      return { file: e.file, trueClass: index >= 0 ? index : null, boxes: e.boxes };
    });
  }
  return text
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l.trim().length > 0)
    .map((line, i) => {
      const [file, cls] = line.split(',');
      const trueClass = Number(cls);
      if (!Number.isInteger(trueClass) || trueClass < 0) throw new Error(`${path} line ${i + 2}: class "${cls}" is not a class index`);
      return { file, trueClass, boxes: [] };
    });
}

export interface FaithfulnessOptions {
  images: string;
  entries: FaithfulnessEntry[];
  methods: MethodSpec[];
  /** Drop a method that does not apply to this model (cam on a head that is not GAP → linear) instead of failing. */
  dropUnavailable: boolean;
  settings: MapSettings;
  steps: number;
  /** Explain the top-1 class (default) or the photo's true class. */
  target: 'top-1' | 'true';
  /** How many photos (the first that succeed) the sanity check runs on; 0 skips it. */
  sanityPhotos: number;
  /** Seeds the re-initialised weights. */
  seed: number;
  /** How many photos keep their maps for the panels. */
  keepPhotos: number;
  onPhoto?: (file: string, done: number, total: number, note: string) => void;
  onSanityStep?: (layer: string, done: number, total: number) => void;
  onNote?: (note: string) => void;
}

export interface PhotoFaithfulness {
  file: string;
  target: number;
  targetLabel: string;
  trueClass: number | null;
  boxes: number;
  methods: Record<string, { deletion: number[]; insertion: number[]; deletionAuc: number; insertionAuc: number; pointingGame: number | null; energyPointingGame: number | null }>;
}

export interface MethodSummary {
  deletionAuc: number;
  insertionAuc: number;
  /** Means over the photos with boxes; null when none had any. */
  pointingGame: number | null;
  energyPointingGame: number | null;
  /** Mean ρ over the sanity photos after randomising each layer, cumulatively from the top; null where undefined. */
  sanity: Record<string, number | null>;
  /** The mean curves, steps + 1 points over the fraction 0 … 1. */
  deletionCurve: number[];
  insertionCurve: number[];
}

export interface KeptPhoto {
  file: string;
  photo: Photo;
  maps: MethodMap[];
}

export interface FaithfulnessResult {
  photos: PhotoFaithfulness[];
  failed: { file: string; error: string }[];
  methods: Record<string, MethodSummary>;
  /** Method names dropped because they do not apply to the model, with why. */
  dropped: Record<string, string>;
  sanityLayers: string[];
  sanityPhotos: number;
  throughput: { photosPerSecond: number; forwardsPerSecond: number; forwards: number; seconds: number };
  kept: KeptPhoto[];
}

/**
 * The model with the weights of its top `count` weighted nodes re-initialised (He-uniform as randomModel draws them,
 * biases 0, seeded per layer name): step `count` of the cascading randomization.
 */
export function randomiseTopLayers(model: Model, count: number, seed: number): Model {
  const weighted = model.nodes.filter((n) => hasWeights(n)).reverse();
  const chosen = new Set(weighted.slice(0, count).map((n) => n.name));
  const nodes = model.nodes.map((node): GraphNode => {
    if (!chosen.has(node.name)) return node;
    const weights = opOf(node).weights!;
    // Seeded by the layer's name, so a model and its rewritten form (--gap-head dense keeps the names and the weight
    // order) get the same random weights.
    const uniform = seededRandom((seed ^ seedOf(node.name)) >>> 0);
    const limit = Math.sqrt(6 / weights.fanIn(node));
    const sizes = weights.sizes(node);
    const weight = Float32Array.from({ length: sizes.weight }, () => (2 * uniform() - 1) * limit);
    return { ...node, weight, bias: new Float32Array(sizes.bias) } as GraphNode;
  });
  return { ...model, nodes };
}

/** The weighted nodes from the top down: the sanity check's steps. */
export function cascadeLayers(model: Model): string[] {
  return model.nodes.filter((n) => hasWeights(n)).reverse().map((n) => n.name);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const meanOrNull = (values: (number | null)[]) => {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return known.length > 0 ? mean(known) : null;
};

/** A photo of the sanity check: its class, random seed and each method's map on the trained model. */
interface SanityPhoto {
  photo: Photo;
  target: number;
  seed: number;
  maps: Map<string, Float32Array>;
}

type SanityMaps = (explainer: Explainer, photo: SanityPhoto, state: ForwardState) => Promise<MethodMap[]>;

/**
 * The sanity check: the top k weighted layers re-initialised, k = 1 … all, each method's map against its original.
 * Spearman's ρ by method, then by the lowest layer randomised, one entry per photo (null where ρ is undefined).
 */
async function sanityCheck(explainer: Explainer, layers: string[], photos: SanityPhoto[], mapsOf: SanityMaps, options: FaithfulnessOptions): Promise<Map<string, Map<string, (number | null)[]>>> {
  const model = explainer.model;
  const rhos = new Map<string, Map<string, (number | null)[]>>();
  for (const [k, layer] of layers.entries()) {
    const randomised = await Explainer.create(explainer.gpuModel.context, randomiseTopLayers(model, k + 1, options.seed));
    try {
      for (const s of photos) {
        const state = await randomised.forward(s.photo);
        for (const map of await mapsOf(randomised, s, state)) {
          const rho = spearman(s.maps.get(map.method)!, map.photo);
          const byLayer = rhos.get(map.method) ?? new Map<string, (number | null)[]>();
          byLayer.set(layer, [...(byLayer.get(layer) ?? []), Number.isFinite(rho) ? rho : null]);
          rhos.set(map.method, byLayer);
        }
      }
    } finally {
      randomised.destroy();
    }
    options.onSanityStep?.(layer, k + 1, layers.length);
  }
  return rhos;
}

/** Each method's means over the photos it was scored on, and its mean ρ per randomised layer. */
function summarise(names: string[], photos: PhotoFaithfulness[], layers: string[], rhos: Map<string, Map<string, (number | null)[]>>): Record<string, MethodSummary> {
  const summaries: Record<string, MethodSummary> = {};
  for (const name of names) {
    const per = photos.map((p) => p.methods[name]).filter((m) => m !== undefined);
    if (per.length === 0) continue;
    const curveMean = (pick: (m: (typeof per)[number]) => number[]) => pick(per[0]).map((_, s) => mean(per.map((m) => pick(m)[s])));
    summaries[name] = {
      deletionAuc: mean(per.map((m) => m.deletionAuc)),
      insertionAuc: mean(per.map((m) => m.insertionAuc)),
      pointingGame: meanOrNull(per.map((m) => m.pointingGame)),
      energyPointingGame: meanOrNull(per.map((m) => m.energyPointingGame)),
      sanity: Object.fromEntries(layers.map((layer) => [layer, meanOrNull(rhos.get(name)?.get(layer) ?? [])])),
      deletionCurve: curveMean((m) => m.deletion),
      insertionCurve: curveMean((m) => m.insertion),
    };
  }
  return summaries;
}

export async function evaluateFaithfulness(explainer: Explainer, mapper: AttentionMapper, options: FaithfulnessOptions): Promise<FaithfulnessResult> {
  const model = explainer.model;
  const softmaxOut = endsInSoftmax(model);
  const shape = model.input;
  let methods = [...options.methods];
  const dropped: Record<string, string> = {};
  const photos: PhotoFaithfulness[] = [];
  const failed: { file: string; error: string }[] = [];
  const kept: KeptPhoto[] = [];
  const sanitySet: SanityPhoto[] = [];
  let forwards = 0;
  const started = performance.now();

  /** Every method's map of the photo of `state`; unavailable methods dropped (or thrown) on first sight. */
  const mapsOf = async (ex: Explainer, photo: Photo, state: ForwardState, target: number, seed: number, allowDrop: boolean) => {
    const maps: MethodMap[] = [];
    for (const spec of [...methods]) {
      try {
        maps.push(await methodMap(spec, { explainer: ex, mapper, settings: options.settings, state, photo, target, seed }));
      } catch (error) {
        if (!(error instanceof MethodUnavailableError) || !allowDrop || !options.dropUnavailable) throw error;
        dropped[methodName(spec)] = error.message;
        options.onNote?.(`${methodName(spec)} left out: ${error.message}`);
        methods = methods.filter((m) => m !== spec);
      }
    }
    return maps;
  };

  for (const [i, entry] of options.entries.entries()) {
    let note = '';
    try {
      const photo = await decodeImageFile(join(options.images, entry.file));
      const state = await explainer.forward(photo);
      forwards++;
      let target = state.predictions[0].classIndex;
      if (options.target === 'true') {
        if (entry.trueClass === null) throw new Error('its class is not one of the model\'s classes');
        target = entry.trueClass;
      }
      const original = (await explainer.gpuModel.readActivations([inputTensor])).get(inputTensor)!;
      const seed = seedOf(entry.file);
      const maps = await mapsOf(explainer, photo, state, target, seed, true);
      const blurred = blurChw(original, shape);
      const probabilityOf = (scores: Float32Array) => probabilities(scores, softmaxOut)[target];
      const [blurredScores] = await explainer.scoreMany([blurred]);
      forwards++;
      const pOriginal = state.probabilities[target];
      const pBlurred = probabilityOf(blurredScores);
      const scale = photo.width / (photo.originalWidth ?? photo.width);
      const boxes = entry.boxes.map((b) => ({ x0: b.x0 * scale, y0: b.y0 * scale, x1: b.x1 * scale, y1: b.y1 * scale }));
      const result: PhotoFaithfulness = { file: entry.file, target, targetLabel: model.labels[target], trueClass: entry.trueClass, boxes: boxes.length, methods: {} };
      for (const map of maps) {
        const order = pixelOrder(map.input, seed);
        const deletionInputs = perturbedInputs(original, blurred, shape, order, options.steps, 'deletion');
        const insertionInputs = perturbedInputs(original, blurred, shape, order, options.steps, 'insertion');
        const scores = await explainer.scoreMany([...deletionInputs, ...insertionInputs]);
        forwards += scores.length;
        const probs = scores.map(probabilityOf);
        const deletion = [pOriginal, ...probs.slice(0, deletionInputs.length), pBlurred];
        const insertion = [pBlurred, ...probs.slice(deletionInputs.length), pOriginal];
        result.methods[map.method] = {
          deletion,
          insertion,
          deletionAuc: areaUnderCurve(deletion),
          insertionAuc: areaUnderCurve(insertion),
          pointingGame: pointingGame(map.photo, map.width, map.height, boxes),
          energyPointingGame: energyPointingGame(map.photo, map.width, map.height, boxes),
        };
      }
      photos.push(result);
      if (kept.length < options.keepPhotos) kept.push({ file: entry.file, photo, maps });
      if (sanitySet.length < options.sanityPhotos) sanitySet.push({ photo, target, seed, maps: new Map(maps.map((m) => [m.method, m.photo])) });
      const seconds = (performance.now() - started) / 1000;
      note = `${model.labels[target]}, ${(forwards / seconds).toFixed(2)} forwards/s`;
    } catch (error) {
      if (error instanceof MethodUnavailableError && !options.dropUnavailable) throw error;
      failed.push({ file: entry.file, error: (error as Error).message });
      note = `failed: ${(error as Error).message}`;
    }
    options.onPhoto?.(entry.file, i + 1, options.entries.length, note);
  }
  const seconds = (performance.now() - started) / 1000;
  const throughput = { photosPerSecond: photos.length / seconds, forwardsPerSecond: forwards / seconds, forwards, seconds };

  const layers = sanitySet.length > 0 ? cascadeLayers(model) : [];
  const rhos = await sanityCheck(explainer, layers, sanitySet, (ex, s, state) => mapsOf(ex, s.photo, state, s.target, s.seed, false), options);
  const summaries = summarise(methods.map(methodName), photos, layers, rhos);
  return { photos, failed, methods: summaries, dropped, sanityLayers: layers, sanityPhotos: sanitySet.length, throughput, kept };
}
