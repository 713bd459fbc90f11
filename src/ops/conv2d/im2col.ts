import { createFilledBuffer, createStorageBuffer } from '../../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../../gpu/context.ts';
import { Kernel } from '../../gpu/kernel.ts';
import { convPads, type Conv2dLayer, type Conv2dSpec } from './spec.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { conv2dGpuWeights } from './direct.ts';
import type { GpuOp } from '../../gpu/dispatch.ts';
import { foldedGrid } from '../../gpu/dispatch.ts';
import type { GemmTile } from '../common/kernel-choices.ts';
import { GemmOp, paddedColumns4 } from './gemm.ts';

/** Bytes of the patch rows: one row of K·K·inC4 vec4s per output pixel of each of `batch` images. */
export function im2colBytes(layer: Conv2dSpec, output: { width: number; height: number }, batch = 1): number {
  return batch * output.width * output.height * layer.kernel * layer.kernel * Math.ceil(layer.inChannels / 4) * 16;
}

/**
 * Convolutions over one vec4 of input channels (an RGB first layer): their patch rows are small. Grouped ones too: their
 * weights are block-diagonal (conv2dGpuWeights), at most four times the work of a group-aware kernel on four channels.
 */
export function im2colApplies(layer: Conv2dSpec): boolean {
  return layer.inChannels <= 4;
}

/**
 * A convolution as im2col + the GEMM every model compiles anyway: for thin inputs this needs no pipeline of its own
 * beyond the tiny im2col kernel (the direct convolution's costs a second of compilation on SwiftShader).
 */
export class Conv2dIm2colOp implements GpuOp {
  private constructor(
    private readonly unroll: { kernel: Kernel; bindGroup: GPUBindGroup; grid: [number, number] },
    private readonly gemm: GemmOp,
    private readonly owned: GPUBuffer[],
  ) {}

  static async create(context: GpuContext, layer: Conv2dLayer, input: GpuTensor, output: GpuTensor, tile: GemmTile): Promise<Conv2dIm2colOp> {
    const pixels = output.shape.width * output.shape.height;
    const rows = pixels * output.batch;
    const columns = layer.kernel * layer.kernel * input.c4;
    const paddedCols4 = paddedColumns4(output.c4, tile);
    const weightData = conv2dGpuWeights(layer, 0, output.c4, paddedCols4);
    const biasData = new Float32Array(output.c4 * 4);
    biasData.set(layer.bias);
    const kernel = await Kernel.create(context, { shader: 'ops/conv2d/im2col' });
    const [patches, weights, bias, params] = await gpuStep(context, `uploading ${layer.name}`, () => [
      createStorageBuffer(context, `${layer.name} patches`, rows * columns * 16),
      createFilledBuffer(context, `${layer.name}.weight`, weightData),
      createFilledBuffer(context, `${layer.name}.bias`, biasData),
      kernel.uniforms({
        inWidth: input.shape.width,
        inHeight: input.shape.height,
        inC4: input.c4,
        outWidth: output.shape.width,
        pixels,
        kernel: layer.kernel,
        stride: layer.stride,
        padTop: convPads(layer).top,
        padLeft: convPads(layer).left,
        columns,
        batch: output.batch,
      }),
    ]);
    const gemm = await GemmOp.create(
      context,
      { label: layer.name, a: patches, b: weights, c: output.buffer, batches: 1, rows, k4: columns, validCols4: output.c4, epilogue: { bias, activation: layer.activation } },
      tile,
    );
    const bindGroup = await gpuStep(context, `preparing ${layer.name}`, () => kernel.bindGroup({ input: input.buffer, patches, params }));
    return new Conv2dIm2colOp({ kernel, bindGroup, grid: foldedGrid(rows * columns, 64) }, gemm, [patches, weights, bias, params]);
  }

  encode(pass: GPUComputePassEncoder): void {
    this.unroll.kernel.dispatch(pass, this.unroll.bindGroup, ...this.unroll.grid);
    this.gemm.encode(pass);
  }

  destroy(): void {
    this.gemm.destroy();
    this.owned.forEach((b) => b.destroy());
  }
}
