/** Everything that turns fixations into maps and boxes; printed with every evaluation. */
export interface MapSettings {
  /** Gaussian sigma of the attention map, in photo pixels (the CNN-Fixations code uses 20). */
  sigma: number;
  /** Saliency threshold on the [0, 1] attention map, or `adaptive`: twice the map's mean. */
  threshold: number | 'adaptive';
  /** Outlier removal: keep a point when more than this share of all points lie within the radius. */
  outlierShare: number;
  /** Outlier removal radius, as a fraction of the photo's diagonal. */
  outlierRadius: number;
  /** The box: around the kept fixations, or around the largest connected region of the saliency map. */
  boxFrom: 'fixations' | 'saliency';
}

export const defaultMapSettings: MapSettings = {
  sigma: 20,
  threshold: 'adaptive',
  outlierShare: 0.05,
  outlierRadius: 0.1,
  boxFrom: 'fixations',
};

/** Half-width of the blur kernel: 4σ (beyond it the Gaussian is below e⁻⁸), but no wider than OpenCV's ksize = the
 * largest odd size within the photo, which the reference code passes. */
export function blurRadius(sigma: number, width: number, height: number): number {
  const k = Math.min(width, height) % 2 === 1 ? Math.min(width, height) : Math.min(width, height) - 1;
  return Math.max(0, Math.min(Math.ceil(4 * sigma), (k - 1) / 2));
}

/** Normalised 1-D Gaussian taps for offsets 0 … radius (the kernel is symmetric). */
export function gaussianTaps(sigma: number, radius: number): Float32Array {
  const taps = Float64Array.from({ length: radius + 1 }, (_, d) => (sigma > 0 ? Math.exp(-(d * d) / (2 * sigma * sigma)) : d === 0 ? 1 : 0));
  const total = taps.reduce((sum, t, d) => sum + (d === 0 ? t : 2 * t), 0);
  return Float32Array.from(taps, (t) => t / total);
}
