/**
 * Which interpolation points F(4×4, 3×3) uses: a float32 simulation (Math.fround after every operation, weights
 * transformed in float64 and rounded once, as winograd.ts does) of Winograd with several point sets, against the float64
 * direct convolution, on VGG-shaped random layers and Tiny Darknet's 3×3 layers (its real weights, first 8 filters).
 * Prints max |error| / max |output| per layer. Usage: node bin/run-ts.js bench/winograd-points.ts [tiny-darknet dir]
 */
import { readFileSync } from 'node:fs';
import { cookToom, type WinogradMatrices } from '../src/ops/conv2d/winograd4.ts';
import { loadDarknet } from '../src/loaders/darknet.ts';
const f = Math.fround;
function rng(seed: number) { let s = seed >>> 0; return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32); }
// apply M (rows×cols) to vector in f32, skipping zeros, no multiply for ±1
function apply(M: number[][], v: number[], f32: boolean): number[] {
  return M.map((row) => { let s = 0; let first = true; row.forEach((c, k) => { if (c === 0) return; const t = c === 1 ? v[k] : c === -1 ? -v[k] : (f32 ? f(c * v[k]) : c * v[k]); s = first ? t : (f32 ? f(s + t) : s + t); first = false; }); return s; });
}
function apply2(M: number[][], X: number[][], f32: boolean): number[][] { // M X Mᵀ
  const cols = X[0].map((_, j) => apply(M, X.map((r) => r[j]), f32)); // cols[j][i] = (M X)[i][j]
  const MX = M.map((_, i) => cols.map((c) => c[i]));
  return MX.map((r) => apply(M, r, f32));
}
function conv(x: Float64Array, w: ArrayLike<number>, C: number, K: number, H: number, W: number, f32: boolean, mats: WinogradMatrices | null, m: number): Float64Array {
  const y = new Float64Array(K * H * W);
  const X = (c: number, i: number, j: number) => (i < 0 || j < 0 || i >= H || j >= W ? 0 : x[(c * H + i) * W + j]);
  const r = f32 ? f : (v: number) => v;
  if (!mats) {
    for (let k = 0; k < K; k++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) { let s = 0; for (let c = 0; c < C; c++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s = r(s + r(r(w[((k * C + c) * 3 + a) * 3 + b]) * r(X(c, i + a - 1, j + b - 1)))); y[(k * H + i) * W + j] = s; }
    return y;
  }
  const n = m + 2;
  const U: number[][][] = []; // [k*C+c] n×n, computed in float64, rounded to f32
  for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) { const g = [0, 1, 2].map((a) => [0, 1, 2].map((b) => w[((k * C + c) * 3 + a) * 3 + b])); U.push(apply2(mats.g, g, false).map((row) => row.map((v) => r(v)))); }
  for (let ti = 0; ti < H; ti += m) for (let tj = 0; tj < W; tj += m) {
    const V = []; for (let c = 0; c < C; c++) { const d = Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => r(X(c, ti + a - 1, tj + b - 1)))); V.push(apply2(mats.bt, d, f32)); }
    for (let k = 0; k < K; k++) {
      const M = Array.from({ length: n }, () => new Array(n).fill(0));
      for (let c = 0; c < C; c++) { const u = U[k * C + c]; for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) M[a][b] = r(M[a][b] + r(u[a][b] * V[c][a][b])); }
      const Y = apply2(mats.at, M, f32);
      for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) if (ti + a < H && tj + b < W) y[(k * H + ti + a) * W + tj + b] = Y[a][b];
    }
  }
  return y;
}
function errors(got: Float64Array, want: Float64Array) { let maxAbs = 0, scale = 0, sumSq = 0; for (let i = 0; i < want.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i])); scale = Math.max(scale, Math.abs(want[i])); sumSq += (got[i]-want[i])**2; } return { maxAbs, maxRel: maxAbs / scale, rms: Math.sqrt(sumSq / want.length) / scale }; }
const variants: [string, WinogradMatrices | null, number][] = [
  ['direct f32', null, 1], ['F2 (0,±1)', cookToom([0, 1, -1], 2), 2],
  ['F4 (0,±1,±2)', cookToom([0, 1, -1, 2, -2], 4), 4], ['F4 (0,±1,±1/2)', cookToom([0, 1, -1, 0.5, -0.5], 4), 4],
  ['F4 (0,±1,±2) ∞→1/2', cookToom([0, 1, -1, 2, 0.5], 4), 4], ['F4 (0,±1,2,-1/2)', cookToom([0, 1, -1, 2, -0.5], 4), 4],
];
function study(label: string, w: ArrayLike<number>, C: number, K: number, H: number, seed: number) {
  const rand = rng(seed);
  const x = Float64Array.from({ length: C * H * H }, () => rand()); // non-negative, like ReLU outputs
  const want = conv(x, w, C, K, H, H, false, null, 1);
  for (const [name, mats, m] of variants) { const e = errors(conv(x, w, C, K, H, H, true, mats, m), want); console.log(`${label}\t${name}\tmaxAbs ${e.maxAbs.toExponential(2)}\tmaxRel ${e.maxRel.toExponential(2)}\trms ${e.rms.toExponential(2)}`); }
}
const rand = rng(5);
for (const [C, K, H] of [[64, 16, 20], [256, 8, 14]]) {
  const w = Float64Array.from({ length: K * C * 9 }, () => (rand() * 2 - 1) * Math.sqrt(6 / (9 * C)));
  study(`random He ${C}→${K} ${H}²`, w, C, K, H, 1);
}
const dir = `${process.argv[3] ?? '../shared/data/tiny-darknet'}/`;
const model = loadDarknet({ cfg: readFileSync(dir + 'tiny.cfg', 'utf8'), weights: new Uint8Array(readFileSync(dir + 'tiny.weights')) });
for (const node of model.nodes as any[]) {
  if (node.kind === 'conv2d' && node.kernel === 3 && node.inChannels > 4) {
    const K = Math.min(node.outChannels, 8);
    study(`tiny ${node.name} ${node.inChannels}→${K}/${node.outChannels}`, node.weight.subarray(0, K * node.inChannels * 9), node.inChannels, K, 12, 2);
  }
}
