/**
 * CPU references of the post-processing: outlier removal by brute force (the oracle of the grid version), and the
 * attention map as the CNN-Fixations code computes it (a count mask blurred by a Gaussian with reflect-101 borders,
 * divided by its maximum), in float64 with no code shared with the GPU kernels.
 */
import type { Point } from '../postprocess/geometry.ts';

export function removeOutliersReference(points: readonly Point[], radius: number, share: number): Point[] {
  return points.filter(([x, y]) => {
    let neighbours = 0;
    for (const [px, py] of points) if (Math.hypot(px - x, py - y) < radius) neighbours++;
    return neighbours > share * points.length;
  });
}

function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  if (i < 0) return -i;
  if (i >= n) return 2 * n - 2 - i;
  return i;
}

/** The normalised attention map, row-major, in [0, 1] (all zero without points). */
export function attentionMapReference(points: readonly Point[], width: number, height: number, sigma: number, radius: number): Float64Array {
  const counts = new Float64Array(width * height);
  for (const [x, y] of points) counts[y * width + x] += 1;
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const taps = kernel.map((k) => k / total);
  const rows = new Float64Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += taps[k + radius] * counts[y * width + reflect101(x + k, width)];
      rows[y * width + x] = sum;
    }
  const map = new Float64Array(width * height);
  let max = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += taps[k + radius] * rows[reflect101(y + k, height) * width + x];
      map[y * width + x] = sum;
      max = Math.max(max, sum);
    }
  if (max > 0) for (let i = 0; i < map.length; i++) map[i] /= max;
  return map;
}

/** Threshold on the normalised map; `adaptive` is twice its mean. Returns the mask and the threshold used. */
export function saliencyReference(map: ArrayLike<number>, threshold: number | 'adaptive'): { mask: Uint8Array; threshold: number } {
  let sum = 0;
  for (let i = 0; i < map.length; i++) sum += map[i];
  const t = threshold === 'adaptive' ? (2 * sum) / map.length : threshold;
  const mask = new Uint8Array(map.length);
  let any = false;
  for (let i = 0; i < map.length; i++) any ||= map[i] > 0;
  if (any) for (let i = 0; i < map.length; i++) mask[i] = map[i] >= t ? 1 : 0;
  return { mask, threshold: t };
}
