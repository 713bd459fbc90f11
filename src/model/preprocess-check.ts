/**
 * Preprocessing numbers a model file may carry, checked at load: finite, std > 0, a pixel scale in a sane range, so
 * that no photo can become an input of NaN or ±Infinity (a scale of 1e39 is finite in JSON, infinite in float32).
 */
import { resizeFilters, resizeModes, type Preprocess } from './preprocess.ts';

/** Limits of a sane preprocessing: 8-bit pixels scaled by 1/255 … 255, means and stds within float32's easy range. */
export const preprocessLimits = { minScale: 1e-6, maxScale: 1e4, maxMagnitude: 1e6, minStd: 1e-6, maxSide: 16_384 } as const;

/** What is wrong with `pre` as `path.field is …: why`, or null when every number is usable. */
export function preprocessProblem(pre: Preprocess, path = 'preprocess'): string | null {
  const { minScale, maxScale, maxMagnitude, minStd, maxSide } = preprocessLimits;
  const show = (v: unknown) => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v)));
  for (const side of ['width', 'height'] as const) {
    const v = pre[side];
    if (!Number.isInteger(v) || v < 1 || v > maxSide) return `${path}.${side} is ${show(v)}; it must be a positive integer no larger than ${maxSide}`;
  }
  if (!(resizeModes as readonly string[]).includes(pre.resize)) return `${path}.resize is ${show(pre.resize)}; it must be one of ${resizeModes.join(', ')}`;
  if (!(resizeFilters as readonly string[]).includes(pre.resizeFilter)) return `${path}.resizeFilter is ${show(pre.resizeFilter)}; it must be one of ${resizeFilters.join(', ')}`;
  if (!['rgb', 'bgr'].includes(pre.channelOrder)) return `${path}.channelOrder is ${show(pre.channelOrder)}; it must be rgb or bgr`;
  if (!(Number.isFinite(pre.cropFraction) && pre.cropFraction > 0 && pre.cropFraction <= 1)) return `${path}.cropFraction is ${show(pre.cropFraction)}; it must be in (0, 1]`;
  if (!(Number.isFinite(pre.scale) && pre.scale >= minScale && pre.scale <= maxScale)) {
    return `${path}.scale is ${show(pre.scale)}; it must be a number from ${minScale} to ${maxScale} (1/255 maps 8-bit pixels to [0, 1])`;
  }
  if (!(Number.isFinite(pre.letterboxFill) && Math.abs(pre.letterboxFill) <= maxMagnitude)) {
    return `${path}.letterboxFill is ${show(pre.letterboxFill)}; it must be a finite number within ±${maxMagnitude}`;
  }
  for (const [field, values] of [['mean', pre.mean], ['std', pre.std]] as const) {
    if (!Array.isArray(values) || values.length !== 3) return `${path}.${field} is ${show(values)}; it must list 3 numbers`;
    for (let i = 0; i < 3; i++) {
      const v = values[i];
      if (!(typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= maxMagnitude)) return `${path}.${field}[${i}] is ${show(v)}; it must be a finite number within ±${maxMagnitude}`;
      if (field === 'std' && !(v >= minStd)) return `${path}.std[${i}] is ${show(v)}; a standard deviation must be at least ${minStd}`;
    }
  }
  return null;
}
