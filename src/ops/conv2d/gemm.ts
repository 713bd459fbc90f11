import { gpuStep, type GpuContext } from '../../gpu/context.ts';
import { Kernel } from '../../gpu/kernel.ts';
import type { Activation } from '../../model/layers.ts';
import { activationCode } from '../common/activation.ts';
import type { GpuOp } from '../../gpu/dispatch.ts';

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

/** Columns of B, in vec4s, padded so every register tile reads whole columns. */
export function paddedColumns4(cols4: number, tile: GemmTile): number {
  return Math.ceil(cols4 / tile.tileN4) * tile.tileN4;
}

export interface GemmProblem {
  label: string;
  a: GPUBuffer;
  /** Laid out [batch][k4·4][paddedColumns4(validCols4)] vec4s. */
  b: GPUBuffer;
  c: GPUBuffer;
  batches: number;
  rows: number;
  k4: number;
  validCols4: number;
  /** Bias added and activation applied to C when given (the 1×1 convolution); raw products otherwise. */
  epilogue?: { bias: GPUBuffer; activation: Activation };
}

/** A flat invocation count as a grid: x within the per-dimension limit, the rest folded into y (see gemm.wgsl). */
export function foldedGrid(invocations: number, threads: number): [number, number] {
  const groups = Math.ceil(invocations / threads);
  return [Math.min(groups, 65535), Math.ceil(groups / 65535)];
}

/** Host of shaders/gemm.wgsl for one problem: a pipeline per tile shape, whatever the problem's sizes. */
export class GemmOp implements GpuOp {
  private constructor(
    private readonly kernel: Kernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly grid: [number, number, number],
    private readonly params: GPUBuffer,
  ) {}

  static async create(context: GpuContext, problem: GemmProblem, tile: GemmTile): Promise<GemmOp> {
    const tiled = tile.kind === 'workgroup';
    const kernel = await Kernel.create(
      context,
      tiled
        ? { shader: 'ops/conv2d/gemm_tiled' }
        : { shader: 'ops/conv2d/gemm', defines: { TILE_M: tile.tileM, TILE_N4: tile.tileN4 }, constants: { WG_X: tile.threads } },
    );
    const columnBlocks = Math.ceil(problem.validCols4 / tile.tileN4);
    const rowBlocks = Math.ceil(problem.rows / tile.tileM);
    return gpuStep(context, `preparing ${problem.label}`, () => {
      const params = kernel.uniforms({
        rows: problem.rows,
        k4: problem.k4,
        cols4: paddedColumns4(problem.validCols4, tile),
        validCols4: problem.validCols4,
        columnBlocks,
        rowBlocks,
        epilogue: problem.epilogue ? 1 : 0,
        activation: activationCode(problem.epilogue?.activation ?? 'linear'),
      });
      // Without an epilogue the bias is never read; any buffer satisfies the binding.
      const bias = problem.epilogue?.bias ?? problem.b;
      const bindGroup = kernel.bindGroup({ a: problem.a, b: problem.b, bias, c: problem.c, params });
      const grid: [number, number, number] = tiled
        ? [columnBlocks, rowBlocks, problem.batches]
        : [...foldedGrid(columnBlocks * rowBlocks, tile.threads), problem.batches];
      return new GemmOp(kernel, bindGroup, grid, params);
    });
  }

  encode(pass: GPUComputePassEncoder): void {
    this.kernel.dispatch(pass, this.bindGroup, ...this.grid);
  }

  destroy(): void {
    this.params.destroy();
  }
}
