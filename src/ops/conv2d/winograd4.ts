import type { WinogradVariant } from './winograd.ts';

/** Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A for an m×m output tile of a 3×3 correlation, in float64. */
export interface WinogradMatrices {
  /** m × n */
  at: number[][];
  /** n × 3 */
  g: number[][];
  /** n × n */
  bt: number[][];
}

/** Coefficients, lowest power first, of ∏ (x − root). */
function polynomial(roots: number[]): number[] {
  let c = [1];
  for (const root of roots) c = [...c.map((v, k) => v * -root), 0].map((v, k) => v + (c[k - 1] ?? 0));
  return c;
}

/**
 * Cook–Toom matrices for the finite interpolation points `points` and ∞ (Lavin & Gray's construction): Aᵀ evaluates at
 * the points, Bᵀ row j is ∏_{l≠j}(x − p_l) (the ∞ row ∏_l(x − p_l)), G row j is p_jᵏ / ∏_{l≠j}(p_j − p_l).
 */
export function cookToom(points: number[], m: number, r = 3): WinogradMatrices {
  const n = m + r - 1;
  if (points.length !== n - 1) throw new Error(`F(${m}, ${r}) needs ${n - 1} finite points, got ${points.length}`);
  const others = (j: number) => points.filter((_, l) => l !== j);
  const at = Array.from({ length: m }, (_, i) => [...points.map((p) => p ** i), i === m - 1 ? 1 : 0]);
  const g = [
    ...points.map((p, j) => {
      const norm = others(j).reduce((acc, q) => acc * (p - q), 1);
      return Array.from({ length: r }, (_, k) => p ** k / norm);
    }),
    Array.from({ length: r }, (_, k) => (k === r - 1 ? 1 : 0)),
  ];
  const bt = [...points.map((_, j) => [...polynomial(others(j)), 0]), polynomial(points)];
  return { at, g, bt };
}

/**
 * The points winograd4_input.wgsl and winograd4_output.wgsl implement, with ∞. Chosen by the error against the float64
 * direct convolution of a float32 simulation on VGG-shaped random layers and Tiny Darknet's 3×3 layers: 2–3× less max
 * error than Lavin & Gray's 0, ±1, ±2 and than 0, ±1, ±½ (Barabasz et al. found the same set best for F(4, 3)).
 */
export const winograd4Points = [0, 1, -1, 2, -0.5];
export const winograd4Matrices = cookToom(winograd4Points, 4);

/**
 * F(4×4, 3×3): a 6×6 input patch per 4×4 output tile, 36 GEMMs where F(2×2) has 16 — 2.25 multiplies an output against
 * F(2×2)'s 4. The transforms take a batch (tiles counted over all images).
 */
export const winograd4: WinogradVariant = {
  outputTile: 4,
  positions: 36,
  g: winograd4Matrices.g,
  shaders: { input: 'ops/conv2d/winograd4_input', output: 'ops/conv2d/winograd4_output' },
};
