/** Which kernel variants run: what `fixations tune` measures per adapter and keeps. */

/** Register tile of one conv2d invocation and its workgroup's thread count: what the benchmark tunes per adapter. */
export interface Conv2dTile {
  /** Consecutive output pixels of one row. */
  tileM: number;
  /** Output channels, in vec4s. */
  tileN4: number;
  /** Invocations per workgroup. */
  threads: number;
}

/** Fastest measured on SwiftShader (VGG conv3 shapes): 8 pixels × 16 channels, 64 threads. */
export const defaultConv2dTile: Conv2dTile = { tileM: 8, tileN4: 4, threads: 64 };

/**
 * How the GEMM is tiled. `registers` (gemm.wgsl): each invocation keeps tileM rows × tileN4 vec4 columns in registers,
 * `threads` invocations a workgroup, no workgroup memory — fastest on CPU drivers. `workgroup` (gemm_tiled.wgsl): a
 * workgroup computes a 64 × 16-vec4 block through workgroup memory — for GPUs; its sizes are fixed (tileM 64, tileN4 16,
 * threads 256) and stated here so weights are padded to whole blocks.
 */
export type GemmTile =
  | { kind?: 'registers'; tileM: number; tileN4: number; threads: number }
  | { kind: 'workgroup'; tileM: 64; tileN4: 16; threads: 256 };

export const workgroupGemmTile: GemmTile = { kind: 'workgroup', tileM: 64, tileN4: 16, threads: 256 };

/**
 * `invocation`: one invocation per output feature walks its row (dense.wgsl) — best on CPU drivers; `workgroup`: 64
 * invocations per feature with coalesced loads and a reduction (dense_workgroup.wgsl) — for GPUs; `subgroup`: the same
 * workgroup per feature reducing with subgroupAdd (dense_subgroup.wgsl) — only on devices with the `subgroups` feature.
 */
export type DenseKernel = 'invocation' | 'workgroup' | 'subgroup';

export const denseKernels: readonly DenseKernel[] = ['invocation', 'workgroup', 'subgroup'];

/** The WebGPU feature a dense kernel needs, if any. */
export function denseKernelFeature(kernel: DenseKernel): 'subgroups' | null {
  return kernel === 'subgroup' ? 'subgroups' : null;
}

export type WinogradTile = 2 | 4;
export const winogradTileChoices: readonly WinogradTile[] = [2, 4];

/** Which convolution kernels run, and their register tiles: what the benchmark tunes per adapter. */
export interface KernelChoices {
  /** Tile of the direct convolution (convolutions that are neither Winograd nor pointwise). */
  conv2dTile: Conv2dTile;
  /** Run 3×3 stride-1 convolutions as Winograd F(m×m, 3×3) where its workspace fits the binding budget. */
  winograd: boolean;
  /** Which Winograd: the output tile side m, F(2×2, 3×3) (16 GEMMs) or F(4×4, 3×3) (36 GEMMs, 1.78× fewer multiplies). */
  winogradTile: WinogradTile;
  /** Run 1×1 stride-1 convolutions as a matrix product over pixels. */
  pointwise: boolean;
  /** Run convolutions over at most 4 input channels (an RGB first layer) as im2col + matrix product. */
  im2col: boolean;
  /** Run depthwise convolutions (groups = channels) with their own kernel; otherwise as grouped direct convolutions. */
  depthwise: boolean;
  /** Tile of the GEMM behind Winograd and pointwise convolutions. */
  gemmTile: GemmTile;
  dense: DenseKernel;
}

export const defaultKernelChoices: KernelChoices = {
  conv2dTile: defaultConv2dTile,
  winograd: true,
  // F(4×4) measured 1.1–2.0× faster than F(2×2) on every VGG19 3×3 layer on SwiftShader (docs/benchmark.md), at about
  // 3× F(2×2)'s float32 error (a few 1e-6 of the output's scale).
  winogradTile: 4,
  pointwise: true,
  im2col: true,
  depthwise: true,
  gemmTile: { tileM: 8, tileN4: 4, threads: 64 },
  dense: 'invocation',
};
