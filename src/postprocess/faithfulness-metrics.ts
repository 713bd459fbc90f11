/**
 * The faithfulness metrics as plain functions (no GPU, no files): deletion and insertion (RISE, Petsiuk et al. 2018),
 * the pointing game (Zhang et al. 2016) and its energy-based form (Score-CAM, Wang et al. 2020), and Spearman's rank
 * correlation for the model-randomization sanity check (Adebayo et al. 2018).
 */
import { seededRandom } from '../graph/random-model.ts';
import type { TensorShape } from '../model/shapes.ts';

/** A box whose corners are pixel edges (x0 ≤ x < x1), as labels.csv gives them. */
export interface EdgeBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Pixel indices from the highest map value to the lowest. Ties are broken by one seeded random permutation (the same
 * for every method of a photo), not raster order, which would delete the top rows of every flat region first.
 */
export function pixelOrder(map: ArrayLike<number>, seed: number): Uint32Array {
  const n = map.length;
  const random = seededRandom(seed);
  const tieBreak = new Float64Array(n);
  for (let i = 0; i < n; i++) tieBreak[i] = random();
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => map[b] - map[a] || tieBreak[a] - tieBreak[b]);
  return Uint32Array.from(order);
}

/** How many pixels have changed after step k of `steps`: ⌈pixels / steps⌉ per step, as RISE steps. */
export function pixelsAfterStep(k: number, steps: number, pixels: number): number {
  return Math.min(pixels, k * Math.ceil(pixels / steps));
}

/**
 * RISE's blur (its evaluation.py `gkern(11, 5)`): a Dirac on an 11×11 grid smoothed by scipy's gaussian_filter with
 * σ 5 (mode reflect), i.e. the outer product of these 11 taps.
 */
export function riseBlurTaps(length = 11, sigma = 5): Float64Array {
  const radius = Math.floor(4 * sigma + 0.5); // scipy: truncate 4.0
  const weights = Float64Array.from({ length: 2 * radius + 1 }, (_, j) => Math.exp(-((j - radius) ** 2) / (2 * sigma * sigma)));
  const total = weights.reduce((a, b) => a + b, 0);
  const centre = Math.floor(length / 2);
  // scipy's "reflect": (d c b a | a b c d | d c b a), period 2·length.
  const reflect = (i: number) => {
    const period = 2 * length;
    const m = ((i % period) + period) % period;
    return m < length ? m : period - 1 - m;
  };
  const taps = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    for (let j = -radius; j <= radius; j++) if (reflect(i + j) === centre) taps[i] += weights[j + radius] / total;
  }
  return taps;
}

/** A CHW tensor blurred per channel by the separable kernel `taps`, zero padding (RISE: conv2d with padding 5). */
export function blurChw(input: Float32Array, shape: TensorShape, taps: ArrayLike<number> = riseBlurTaps()): Float32Array {
  const { channels, height, width } = shape;
  const r = Math.floor(taps.length / 2);
  const rows = new Float64Array(input.length);
  const out = new Float32Array(input.length);
  for (let c = 0; c < channels; c++) {
    const base = c * height * width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let k = -r; k <= r; k++) if (x + k >= 0 && x + k < width) sum += taps[k + r] * input[base + y * width + x + k];
        rows[base + y * width + x] = sum;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let k = -r; k <= r; k++) if (y + k >= 0 && y + k < height) sum += taps[k + r] * rows[base + (y + k) * width + x];
        out[base + y * width + x] = sum;
      }
    }
  }
  return out;
}

/**
 * The inputs of one curve's steps 1 … steps−1 (steps 0 and `steps` are the same for every map: the original and the
 * blurred copy, scored once). Deletion: the first pixels of `order` (all channels) take the blurred copy's values;
 * insertion: starting from the blurred copy, they take the original's.
 */
export function perturbedInputs(original: Float32Array, blurred: Float32Array, shape: TensorShape, order: Uint32Array, steps: number, mode: 'deletion' | 'insertion'): Float32Array[] {
  const plane = shape.height * shape.width;
  if (order.length !== plane) throw new Error(`the order has ${order.length} pixels, the input ${plane}`);
  const [start, source] = mode === 'deletion' ? [original, blurred] : [blurred, original];
  const current = Float32Array.from(start);
  const out: Float32Array[] = [];
  let done = 0;
  for (let k = 1; k < steps; k++) {
    const until = pixelsAfterStep(k, steps, plane);
    for (; done < until; done++) {
      const p = order[done];
      for (let c = 0; c < shape.channels; c++) current[c * plane + p] = source[c * plane + p];
    }
    out.push(Float32Array.from(current));
  }
  return out;
}

/** Area under a curve sampled at evenly spaced fractions 0 … 1 (trapezoid rule), as RISE's `auc`. */
export function areaUnderCurve(curve: ArrayLike<number>): number {
  const n = curve.length;
  if (n < 2) throw new Error('a curve needs at least two points');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += curve[i];
  return (sum - curve[0] / 2 - curve[n - 1] / 2) / (n - 1);
}

function insideAny(boxes: readonly EdgeBox[], x: number, y: number): boolean {
  // The pixel's centre inside a box's edges.
  return boxes.some((b) => x + 0.5 >= b.x0 && x + 0.5 <= b.x1 && y + 0.5 >= b.y0 && y + 0.5 <= b.y1);
}

/**
 * Pointing game: 1 when the map's maximum lies inside a ground-truth box. With ties for the maximum, the share of
 * the maximal pixels inside a box (the expected hit under a uniformly random pick among them); null without boxes.
 */
export function pointingGame(map: ArrayLike<number>, width: number, height: number, boxes: readonly EdgeBox[]): number | null {
  if (boxes.length === 0) return null;
  let peak = -Infinity;
  for (let i = 0; i < map.length; i++) peak = Math.max(peak, map[i]);
  let maximal = 0;
  let hits = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (map[y * width + x] !== peak) continue;
      maximal++;
      if (insideAny(boxes, x, y)) hits++;
    }
  }
  return maximal > 0 ? hits / maximal : 0;
}

/** Energy-based pointing game (Score-CAM): the share of the map's sum inside the union of the boxes; null without boxes. */
export function energyPointingGame(map: ArrayLike<number>, width: number, height: number, boxes: readonly EdgeBox[]): number | null {
  if (boxes.length === 0) return null;
  let inside = 0;
  let total = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.max(0, map[y * width + x]);
      total += v;
      if (insideAny(boxes, x, y)) inside += v;
    }
  }
  return total > 0 ? inside / total : 0;
}

/** Ranks 1 … n, ties given the mean of the ranks they span. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Spearman's ρ: Pearson's correlation of the average ranks. NaN when either side is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} values against ${b.length}`);
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  const n = a.length;
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = ra[i] - mean;
    const db = rb[i] - mean;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}
