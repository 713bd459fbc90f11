/**
 * Every explanation method behind one interface, so the evaluations read each alike (browser-safe: no node imports).
 *
 * - `fixations` (rule hysm or official): the attention map of the fixations, as `explain --out` makes it (outliers
 *   removed, Gaussian blur of `settings.sigma` photo pixels).
 * - `gradcam`, `cam`: the explainer's LayerMap at a layer's grid, upsampled to the model input bilinearly with cell
 *   centres aligned (cv2.resize INTER_LINEAR, as pytorch-grad-cam does), then carried through the preprocessing
 *   geometry to photo pixels (each photo pixel's centre read bilinearly from the model-input map).
 * - `centre`: a centred Gaussian with σ a quarter of the photo's width across and of its height down (±2σ spans the
 *   photo): the centre-bias baseline of saliency benchmarks (Judd et al. 2009 stretch theirs to the aspect ratio too).
 * - `random`: as many uniformly random photo pixels as the fixations of the same photo have (under the method's rule),
 *   seeded per photo, through the same outlier removal and blur as the fixations.
 *
 * Every map comes in photo pixels and in model-input pixels, each min–max normalised to [0, 1] (a constant map is all
 * 0). Model-input pixels outside the photo (letterbox fill) hold −1, so orderings put them last.
 */
import type { Rule } from '../ops/common/rules.ts';
import { seededRandom } from '../graph/random-model.ts';
import { graphOf, type Model } from '../graph/model.ts';
import type { ResampleGeometry } from '../model/preprocess.ts';
import type { AttentionMapper } from '../postprocess/attention-mapper.ts';
import type { Point } from '../postprocess/geometry.ts';
import { makeMaps } from '../postprocess/maps.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { fixationsInPhoto, type Explainer, type ForwardState } from './explain.ts';
import type { Photo } from './explanation-maps.ts';
import { camHead, type LayerMap } from './layer-map.ts';
import { lastSpatialTensor } from '../postprocess/coarse.ts';

export const methodKinds = ['fixations', 'gradcam', 'cam', 'centre', 'random'] as const;
export type MethodKind = (typeof methodKinds)[number];

/** A method as asked for: fixations and random carry the rule (random takes its fixation count from that rule). */
export interface MethodSpec {
  kind: MethodKind;
  rule: Rule;
}

/** Every method, both rules of fixations: what `--method all` means. */
export const allMethods: readonly MethodSpec[] = [
  { kind: 'fixations', rule: 'hysm' },
  { kind: 'fixations', rule: 'official' },
  { kind: 'gradcam', rule: 'hysm' },
  { kind: 'cam', rule: 'hysm' },
  { kind: 'centre', rule: 'hysm' },
  { kind: 'random', rule: 'hysm' },
];

/** The name in outputs: `fixations-hysm`, `fixations-official`, `gradcam`, `cam`, `centre`, `random`. */
export function methodName(spec: MethodSpec): string {
  return spec.kind === 'fixations' ? `fixations-${spec.rule}` : spec.kind;
}

/**
 * `--method` values: `all`, or a comma-separated list of kinds (`fixations` with `rule`, or `fixations-hysm` /
 * `fixations-official` by name). Throws an Error naming the bad entry.
 */
export function parseMethods(text: string, rule: Rule = 'hysm'): MethodSpec[] {
  if (text.trim() === 'all') return [...allMethods];
  const specs: MethodSpec[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const named = /^fixations-(hysm|official)$/.exec(part);
    const spec: MethodSpec | null = named
      ? { kind: 'fixations', rule: named[1] as Rule }
      : (methodKinds as readonly string[]).includes(part)
        ? { kind: part as MethodKind, rule }
        : null;
    if (!spec) throw new Error(`unknown method "${part}": use ${methodKinds.join(', ')}, fixations-hysm, fixations-official or all`);
    if (!specs.some((s) => methodName(s) === methodName(spec))) specs.push(spec);
  }
  if (specs.length === 0) throw new Error('no method given: use fixations, gradcam, cam, centre, random, or all');
  return specs;
}

export class MethodUnavailableError extends Error {
  override name = 'MethodUnavailableError';
}

/** Threshold on a [0, 1] map: a number, or adaptive (twice the mean); an all-zero map has an empty mask. */
export function thresholdMap(map: ArrayLike<number>, threshold: number | 'adaptive'): Uint8Array {
  let sum = 0;
  let any = false;
  for (let i = 0; i < map.length; i++) {
    sum += map[i];
    any ||= map[i] > 0;
  }
  const t = threshold === 'adaptive' ? (2 * sum) / map.length : threshold;
  const mask = new Uint8Array(map.length);
  if (any) for (let i = 0; i < map.length; i++) mask[i] = map[i] >= t ? 1 : 0;
  return mask;
}

/** Why a method cannot make maps for `model` (CAM on a head that is not GAP → linear, say), or null when it can. */
export function methodRefusal(spec: MethodSpec, model: Model): string | null {
  if (spec.kind === 'cam') {
    const head = camHead(model);
    return typeof head === 'string' ? head : null;
  }
  if (spec.kind === 'gradcam' && !lastSpatialTensor(graphOf(model))) return `${model.name} has no spatial tensor to make a Grad-CAM map at`;
  return null;
}

/** One method's map of one photo. */
export interface MethodMap {
  method: string;
  /** Photo pixels (decoded size), row-major, min–max normalised to [0, 1]. */
  photo: Float32Array;
  width: number;
  height: number;
  /** Model-input pixels, row-major, min–max normalised over the photo's pixels; letterbox fill −1. */
  input: Float32Array;
  inputWidth: number;
  inputHeight: number;
  /** Fixations and random: the points (photo pixels) after outlier removal, and those removed. */
  points?: { kept: Point[]; removed: Point[] };
  /** Grad-CAM and CAM: the layer the map was taken at. */
  layer?: string;
}

/** Min–max normalisation to [0, 1] in place over the entries `include` admits (all by default); constant → 0. */
export function normaliseMinMax(values: Float32Array, include: (i: number) => boolean = () => true): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (!include(i)) continue;
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const span = hi - lo;
  for (let i = 0; i < values.length; i++) {
    if (include(i)) values[i] = span > 0 && Number.isFinite(span) ? (values[i] - lo) / span : 0;
  }
  return values;
}

/** Bilinear sample of a row-major grid at continuous (x, y) in pixel-centre coordinates, clamped to the edges. */
function sampleBilinear(grid: ArrayLike<number>, width: number, height: number, x: number, y: number): number {
  const cx = Math.min(width - 1, Math.max(0, x));
  const cy = Math.min(height - 1, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(width - 1, x0 + 1);
  const y1 = Math.min(height - 1, y0 + 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const top = grid[y0 * width + x0] * (1 - fx) + grid[y0 * width + x1] * fx;
  const bottom = grid[y1 * width + x0] * (1 - fx) + grid[y1 * width + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}

/**
 * cv2.resize(INTER_LINEAR) of a width×height grid to outWidth×outHeight: output pixel i reads source position
 * (i + 0.5)·in/out − 0.5, clamped (cell centres aligned; what pytorch-grad-cam's scale_cam_image does).
 */
export function resizeBilinearCentres(grid: ArrayLike<number>, width: number, height: number, outWidth: number, outHeight: number): Float32Array {
  const out = new Float32Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const sy = ((y + 0.5) * height) / outHeight - 0.5;
    for (let x = 0; x < outWidth; x++) out[y * outWidth + x] = sampleBilinear(grid, width, height, ((x + 0.5) * width) / outWidth - 0.5, sy);
  }
  return out;
}

/** Whether model-input pixel (x, y) shows the photo (not letterbox fill). */
function inContent(geometry: ResampleGeometry, x: number, y: number): boolean {
  const { content } = geometry;
  return x >= content.x && y >= content.y && x < content.x + content.width && y < content.y + content.height;
}

/**
 * A model-input map (inputWidth×inputHeight) in photo pixels (photoWidth×photoHeight, the decoded photo): each photo
 * pixel's centre carried into model-input coordinates by the preprocessing geometry and read bilinearly. Photo pixels
 * outside a crop read the nearest edge of the model input.
 */
export function inputMapToPhoto(map: ArrayLike<number>, inputWidth: number, inputHeight: number, geometry: ResampleGeometry, photoWidth: number, photoHeight: number): Float32Array {
  const { content, source } = geometry;
  const sx = photoWidth / geometry.imageWidth;
  const sy = photoHeight / geometry.imageHeight;
  const out = new Float32Array(photoWidth * photoHeight);
  for (let py = 0; py < photoHeight; py++) {
    const v = (py + 0.5) / sy;
    const my = content.y + ((v - source.y) * content.height) / source.height - 0.5;
    const rowY = Math.min(content.y + content.height - 1, Math.max(content.y, my));
    for (let px = 0; px < photoWidth; px++) {
      const u = (px + 0.5) / sx;
      const mx = content.x + ((u - source.x) * content.width) / source.width - 0.5;
      out[py * photoWidth + px] = sampleBilinear(map, inputWidth, inputHeight, Math.min(content.x + content.width - 1, Math.max(content.x, mx)), rowY);
    }
  }
  return out;
}

/**
 * A photo map in model-input pixels: each model-input pixel's centre carried to the photo by the geometry and read
 * bilinearly; letterbox fill −1. The result is min–max normalised over the photo's pixels.
 */
export function photoMapToInput(map: ArrayLike<number>, photoWidth: number, photoHeight: number, geometry: ResampleGeometry, inputWidth: number, inputHeight: number): Float32Array {
  const { content, source } = geometry;
  const sx = photoWidth / geometry.imageWidth;
  const sy = photoHeight / geometry.imageHeight;
  const out = new Float32Array(inputWidth * inputHeight).fill(-1);
  for (let y = 0; y < inputHeight; y++) {
    for (let x = 0; x < inputWidth; x++) {
      if (!inContent(geometry, x, y)) continue;
      const u = source.x + ((x - content.x + 0.5) * source.width) / content.width;
      const v = source.y + ((y - content.y + 0.5) * source.height) / content.height;
      out[y * inputWidth + x] = sampleBilinear(map, photoWidth, photoHeight, u * sx - 0.5, v * sy - 0.5);
    }
  }
  return normaliseMinMax(out, (i) => inContent(geometry, i % inputWidth, Math.floor(i / inputWidth)));
}

/** A model-input map normalised over the photo's pixels, letterbox fill set to −1. */
function normaliseInputMap(map: Float32Array, geometry: ResampleGeometry, inputWidth: number): Float32Array {
  const include = (i: number) => inContent(geometry, i % inputWidth, Math.floor(i / inputWidth));
  normaliseMinMax(map, include);
  for (let i = 0; i < map.length; i++) if (!include(i)) map[i] = -1;
  return map;
}

/** The centre baseline: a Gaussian at the photo's centre, σ = width/4 across and height/4 down, peak 1. */
export function centreMap(width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  const sx = width / 4;
  const sy = height / 4;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = Math.exp(-(((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2) / 2);
  }
  return out;
}

/** A 32-bit seed from a photo's name (FNV-1a), so a photo's random fixations are the same on every run. */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** `count` uniformly random photo pixels from `seed`. */
export function randomPoints(count: number, width: number, height: number, seed: number): Point[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (): Point => [Math.min(width - 1, Math.floor(random() * width)), Math.min(height - 1, Math.floor(random() * height))]);
}

export interface MethodInputs {
  explainer: Explainer;
  mapper: AttentionMapper;
  settings: MapSettings;
  /** The photo's latest forward pass on `explainer` (backtracking, Grad-CAM and CAM read its activations). */
  state: ForwardState;
  photo: Photo;
  /** The class explained. */
  target: number;
  /** Seeds the random baseline: seedOf the photo's file name (without its folder), the same in explain and the evaluations. */
  seed: number;
}

/** A map made at photo pixels (normalised already) as a method's map, with its copy at the model input. */
function photoMethodMap(method: string, values: Float32Array, { photo, state, explainer }: MethodInputs): MethodMap {
  const { width, height } = explainer.model.input;
  return {
    method,
    photo: values,
    width: photo.width,
    height: photo.height,
    input: photoMapToInput(values, photo.width, photo.height, state.geometry, width, height),
    inputWidth: width,
    inputHeight: height,
  };
}

async function fixationsMap(inputs: MethodInputs, points: Point[], method: string): Promise<MethodMap> {
  const { photo } = inputs;
  const scale = photo.width / (photo.originalWidth ?? photo.width);
  const maps = await makeMaps(inputs.mapper, points, photo.width, photo.height, { ...inputs.settings, sigma: inputs.settings.sigma * scale });
  const values = normaliseMinMax(Float32Array.from(maps.attention));
  return { ...photoMethodMap(method, values, inputs), points: { kept: maps.kept, removed: maps.removed } };
}

async function fixationPoints(inputs: MethodInputs, rule: Rule): Promise<Point[]> {
  const e = await inputs.explainer.backtrack(inputs.state, rule, inputs.target);
  return fixationsInPhoto(e.fixations, e.geometry, {});
}

/** A LayerMap (Grad-CAM, CAM) as a method's map: upsampled to the model input, then into the photo. */
export function layerMapToMethodMap(method: string, layerMap: LayerMap, geometry: ResampleGeometry, input: { width: number; height: number }, photo: { width: number; height: number }): MethodMap {
  const upsampled = resizeBilinearCentres(layerMap.values, layerMap.width, layerMap.height, input.width, input.height);
  const photoMap = normaliseMinMax(inputMapToPhoto(upsampled, input.width, input.height, geometry, photo.width, photo.height));
  return {
    method,
    photo: photoMap,
    width: photo.width,
    height: photo.height,
    input: normaliseInputMap(upsampled, geometry, input.width),
    inputWidth: input.width,
    inputHeight: input.height,
    layer: layerMap.tensor,
  };
}

/** One method's map of the photo whose forward pass is `inputs.state`. */
export async function methodMap(spec: MethodSpec, inputs: MethodInputs): Promise<MethodMap> {
  const { photo, state, explainer } = inputs;
  const name = methodName(spec);
  switch (spec.kind) {
    case 'fixations':
      return fixationsMap(inputs, await fixationPoints(inputs, spec.rule), name);
    case 'random': {
      const count = (await fixationPoints(inputs, spec.rule)).length;
      return fixationsMap(inputs, randomPoints(count, photo.width, photo.height, inputs.seed), name);
    }
    case 'gradcam': {
      const refusal = methodRefusal(spec, explainer.model);
      if (refusal) throw new MethodUnavailableError(refusal);
      return layerMapToMethodMap(name, await explainer.gradcam(state, inputs.target), state.geometry, explainer.model.input, photo);
    }
    case 'cam': {
      const refusal = methodRefusal(spec, explainer.model);
      if (refusal) throw new MethodUnavailableError(refusal);
      return layerMapToMethodMap(name, await explainer.cam(state, inputs.target), state.geometry, explainer.model.input, photo);
    }
    case 'centre':
      return photoMethodMap(name, normaliseMinMax(centreMap(photo.width, photo.height)), inputs);
  }
}
