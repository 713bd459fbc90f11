/**
 * The resize filters as tap tables: for each model pixel along one axis, the first photo pixel it reads, how many it
 * reads, and their weights. The GPU kernels (`shaders/preprocess_rows.wgsl`, `preprocess_columns.wgsl`) only apply
 * these tables, rows then columns, so every filter is one function here and the kernels stay filter-agnostic. Each
 * function follows its origin's C code operation by operation (float32 where darknet computes in float, doubles and
 * PIL's fixed-point weights where PIL does), so the tables are the origin's own.
 */
import type { ResampleGeometry, ResizeFilter } from './preprocess.ts';

/** PIL's fixed-point precision for 8-bit images (Resample.c: PRECISION_BITS = 32 − 8 − 2). */
export const pilPrecisionBits = 22;

export interface AxisTaps {
  /** Model pixels along this axis (the content's width or height). */
  count: number;
  /** Taps of the widest model pixel: every row of `weights` has this many, zero-padded. */
  width: number;
  /** Per model pixel: first photo pixel, number of taps. */
  ranges: Uint32Array;
  /** Per model pixel, `width` weights. Integers scaled by 2^22 when the taps are fixed-point. */
  weights: Float32Array;
}

export interface ResizeTaps {
  x: AxisTaps;
  y: AxisTaps;
  /**
   * PIL's 8-bit resampling: integer weights, each pass sums in integers and rounds to 8 bits
   * (`(2^21 + Σ w·p) >> 22`, clamped to 0…255).
   */
  fixedPoint: boolean;
}

/** One axis of the geometry: `count` model pixels showing [offset, offset + extent) of `size` photo pixels. */
interface Axis {
  count: number;
  size: number;
  offset: number;
  extent: number;
  /** The photo resized whole to `length` pixels and the crop starting at its pixel `first` (torchvision, CNN Explainer). */
  resized?: { length: number; first: number };
  /** darknet treats its last row and last column differently. */
  vertical: boolean;
}

type Tap = [index: number, weight: number];

function table(count: number, tapsOf: (t: number) => Tap[]): AxisTaps {
  const all = Array.from({ length: count }, (_, t) => tapsOf(t));
  const width = Math.max(1, ...all.map((taps) => taps.length));
  const ranges = new Uint32Array(count * 2);
  const weights = new Float32Array(count * width);
  all.forEach((taps, t) => {
    ranges[2 * t] = taps[0][0];
    ranges[2 * t + 1] = taps.length;
    taps.forEach(([index, weight], k) => {
      if (index !== taps[0][0] + k) throw new Error('resize taps must be consecutive photo pixels');
      weights[t * width + k] = weight;
    });
  });
  return { count, width, ranges, weights };
}

const clampIndex = (i: number, size: number) => Math.min(size - 1, Math.max(0, i));

/** Taps at `first` and `first + 1`, merged into one where the second falls off the photo. */
function linearTaps(size: number, first: number, fraction: number, weightFirst: number): Tap[] {
  const i = clampIndex(first, size);
  const j = clampIndex(first + 1, size);
  if (i === j) return [[i, weightFirst + fraction]];
  return [[i, weightFirst], [j, fraction]];
}

/**
 * darknet's `resize_image` (image.c): scale = (float)(W − 1) / (w − 1); model pixel t reads sx = t·scale, ix = (int)sx,
 * dx = sx − ix: (1 − dx)·p[ix] + dx·p[ix + 1], all in float32. The last column reads p[W − 1] alone; the last row keeps
 * only its (1 − dy)·p[iy] term, as darknet's does (which darkens it when float rounding leaves sy just below H − 1).
 */
function darknetBilinear(axis: Axis): AxisTaps {
  const f = Math.fround;
  const { count, size, offset, extent } = axis;
  const scale = count > 1 ? f((extent - 1) / (count - 1)) : 0;
  return table(count, (t): Tap[] => {
    const last = t === count - 1;
    if (!axis.vertical && (last || size === 1)) {
      const p = offset + extent - 1;
      const ix = Math.trunc(p);
      return Number.isInteger(p) ? [[clampIndex(ix, size), 1]] : linearTaps(size, ix, f(p - ix), f(1 - f(p - ix)));
    }
    const s = offset === 0 ? f(t * scale) : f(offset + f(t * scale));
    const i = Math.trunc(s);
    const d = f(s - i);
    if (axis.vertical && (last || size === 1)) return [[clampIndex(i, size), f(1 - d)]];
    return linearTaps(size, i, d, f(1 - d));
  });
}

/** PIL's NEAREST (Geometry.c, ImagingScaleAffine): xo = in0 + a·0.5, then xo += a per pixel, a = extent / count, in doubles. */
function pilNearest(axis: Axis): AxisTaps {
  const { count, size } = axis;
  const resized = axis.resized;
  const step = resized ? size / resized.length : axis.extent / count;
  const skip = resized ? resized.first : 0;
  let position = (resized ? 0 : axis.offset) + step * 0.5;
  for (let t = 0; t < skip; t++) position += step;
  return table(count, (): Tap[] => {
    const index = position < 0 ? 0 : clampIndex(Math.trunc(position), size);
    position += step;
    return [[index, 1]];
  });
}

/** Two taps at pixel centres: u = offset + (t + 0.5)·scale − 0.5, edges clamped (OpenCV's INTER_LINEAR). */
function bilinearCentres(axis: Axis): AxisTaps {
  const { count, size } = axis;
  const scale = axis.resized ? size / axis.resized.length : axis.extent / count;
  const start = axis.resized ? axis.resized.first * scale : axis.offset;
  return table(count, (t) => {
    const u = Math.min(size - 1, Math.max(0, start + (t + 0.5) * scale - 0.5));
    const i = Math.floor(u);
    const fraction = Math.fround(u - i);
    return linearTaps(size, i, fraction, Math.fround(1 - fraction));
  });
}

/**
 * PIL's BILINEAR (Resample.c, precompute_coeffs + normalize_coeffs_8bpc): support = max(scale, 1), taps from
 * (int)(center − support + 0.5) to (int)(center + support + 0.5), weights 1 − |x| of (j − center + 0.5)/max(scale, 1),
 * normalised, then as integers scaled by 2^22 rounded half up.
 */
function pilBilinear(axis: Axis): AxisTaps {
  const { count, size } = axis;
  const scale = axis.resized ? size / axis.resized.length : axis.extent / count;
  const in0 = axis.resized ? 0 : axis.offset;
  const skip = axis.resized ? axis.resized.first : 0;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const ss = 1 / filterScale;
  return table(count, (t) => {
    const center = in0 + (t + skip + 0.5) * scale;
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const end = Math.min(size, Math.trunc(center + support + 0.5));
    const raw: number[] = [];
    let total = 0;
    for (let j = first; j < end; j++) {
      const x = Math.abs((j - center + 0.5) * ss);
      const w = x < 1 ? 1 - x : 0;
      raw.push(w);
      total += w;
    }
    if (raw.length === 0) return [[clampIndex(Math.trunc(center), size), 2 ** pilPrecisionBits]];
    return raw.map((w, k): Tap => [first + k, Math.trunc(0.5 + (total !== 0 ? w / total : w) * 2 ** pilPrecisionBits)]);
  });
}

const filters: Record<ResizeFilter, (axis: Axis) => AxisTaps> = {
  nearest: pilNearest,
  bilinear: darknetBilinear,
  'bilinear-centres': bilinearCentres,
  'antialiased-bilinear': pilBilinear,
};

/** The tap tables of both axes for a photo placed by `geometry`. */
export function resizeTaps(geometry: ResampleGeometry, filter: ResizeFilter): ResizeTaps {
  const { content, source, resized } = geometry;
  const build = filters[filter];
  return {
    x: build({
      count: content.width,
      size: geometry.imageWidth,
      offset: source.x,
      extent: source.width,
      resized: resized && { length: resized.width, first: resized.x },
      vertical: false,
    }),
    y: build({
      count: content.height,
      size: geometry.imageHeight,
      offset: source.y,
      extent: source.height,
      resized: resized && { length: resized.height, first: resized.y },
      vertical: true,
    }),
    fixedPoint: filter === 'antialiased-bilinear',
  };
}
