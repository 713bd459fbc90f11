import { createFilledBuffer } from '../../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../../gpu/context.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { Kernel } from '../../gpu/kernel.ts';
import { activationCode, type Activation } from '../common/activation.ts';
import type { GpuOp } from '../../gpu/dispatch.ts';
import { foldedGrid } from '../../gpu/dispatch.ts';
import type { GemmTile } from '../common/kernel-choices.ts';

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

/** A layer computed as C = activation(A·B + bias) with A its input as it lies: the 1×1 convolution, a batch's dense. */
export interface BiasedGemm {
  name: string;
  bias: Float32Array;
  activation: Activation;
  /** B in GemmProblem's layout for columns padded to `paddedCols4` vec4s. */
  weights(paddedCols4: number): Float32Array;
  /** Rows of A and C: pixels × images, or images. */
  rows: number;
}

/** Host of a BiasedGemm: B and the bias uploaded, the GEMM with its epilogue prepared. */
export class BiasedGemmOp implements GpuOp {
  protected constructor(
    private readonly gemm: GemmOp,
    private readonly owned: GPUBuffer[],
  ) {}

  protected static async prepare(context: GpuContext, layer: BiasedGemm, input: GpuTensor, output: GpuTensor, tile: GemmTile): Promise<[GemmOp, GPUBuffer[]]> {
    const paddedCols4 = paddedColumns4(output.c4, tile);
    const biasData = new Float32Array(paddedCols4 * 4);
    biasData.set(layer.bias);
    const [weights, bias] = await gpuStep(context, `uploading ${layer.name}`, () => [
      createFilledBuffer(context, `${layer.name}.weight (GEMM)`, layer.weights(paddedCols4)),
      createFilledBuffer(context, `${layer.name}.bias`, biasData),
    ]);
    const problem = { label: layer.name, a: input.buffer, b: weights, c: output.buffer, batches: 1, rows: layer.rows, k4: input.c4, validCols4: output.c4 };
    const gemm = await GemmOp.create(context, { ...problem, epilogue: { bias, activation: layer.activation } }, tile);
    return [gemm, [weights, bias]];
  }

  encode(pass: GPUComputePassEncoder): void {
    this.gemm.encode(pass);
  }

  destroy(): void {
    this.gemm.destroy();
    this.owned.forEach((b) => b.destroy());
  }
}
