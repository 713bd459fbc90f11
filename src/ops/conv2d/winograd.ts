import { createFilledBuffer } from '../../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../../gpu/context.ts';
import { Kernel } from '../../gpu/kernel.ts';
import { convGroups, convPads, type Conv2dLayer, type Conv2dSpec } from './spec.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { activationCode } from '../common/activation.ts';
import { foldedGrid } from '../../gpu/dispatch.ts';
import type { GemmTile } from '../common/kernel-choices.ts';
import { GemmOp, paddedColumns4 } from './gemm.ts';
import type { GpuOp } from '../../gpu/dispatch.ts';

/** Transform positions of F(2×2, 3×3): a 4×4 input patch per 2×2 output tile. */
export const winogradPositions = 16;

/**
 * 3×3 stride-1 ungrouped convolutions with more than one vec4 of input channels: with fewer (an RGB input layer) the
 * transforms cost more than the multiply-adds they save (measured on Tiny Darknet's conv1: 65 ms Winograd, 52 ms
 * direct). Any padding, asymmetric too.
 */
export function winogradApplies(layer: Conv2dSpec): boolean {
  return layer.kernel === 3 && layer.stride === 1 && layer.inChannels > 4 && convGroups(layer).groups === 1;
}

export function winogradTiles(output: { width: number; height: number }): { tilesX: number; tiles: number } {
  const tilesX = Math.ceil(output.width / 2);
  return { tilesX, tiles: tilesX * Math.ceil(output.height / 2) };
}

/** Bytes of the transformed input (V) and of the products (M) for this layer, for all images of the batch. */
export function winogradWorkspaceBytes(input: GpuTensor, output: GpuTensor): { transformed: number; products: number } {
  const tiles = winogradTiles(output.shape).tiles * output.batch;
  return { transformed: winogradPositions * tiles * input.c4 * 16, products: winogradPositions * tiles * output.c4 * 16 };
}

/**
 * U = G g Gᵀ for every (output, input) channel pair, laid out [ξ][inChannel padded to 4][column padded to
 * paddedCols4·4] for winograd_gemm.wgsl.
 */
export function winogradWeights(layer: Conv2dLayer, paddedCols4: number): Float32Array {
  const { inChannels, outChannels } = layer;
  const inPadded = Math.ceil(inChannels / 4) * 4;
  const width = paddedCols4 * 4;
  const out = new Float32Array(winogradPositions * inPadded * width);
  const gg = new Float64Array(12);
  for (let oc = 0; oc < outChannels; oc++) {
    for (let ic = 0; ic < inChannels; ic++) {
      const g = layer.weight.subarray((oc * inChannels + ic) * 9, (oc * inChannels + ic) * 9 + 9);
      // G g: rows g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2.
      for (let j = 0; j < 3; j++) {
        gg[j] = g[j];
        gg[3 + j] = (g[j] + g[3 + j] + g[6 + j]) / 2;
        gg[6 + j] = (g[j] - g[3 + j] + g[6 + j]) / 2;
        gg[9 + j] = g[6 + j];
      }
      // (G g) Gᵀ: the same on each row's three columns.
      for (let i = 0; i < 4; i++) {
        const a = gg[i * 3];
        const b = gg[i * 3 + 1];
        const c = gg[i * 3 + 2];
        const at = (i * 4 * inPadded + ic) * width + oc;
        const step = inPadded * width;
        out[at] = a;
        out[at + step] = (a + b + c) / 2;
        out[at + 2 * step] = (a - b + c) / 2;
        out[at + 3 * step] = c;
      }
    }
  }
  return out;
}

export interface WinogradWorkspace {
  transformed: GPUBuffer;
  products: GPUBuffer;
}

/**
 * A 3×3 stride-1 convolution as Winograd F(2×2, 3×3): input transform, sixteen GEMMs, output transform. 2.25× fewer
 * multiply-adds than the direct convolution; the transforms are memory-bound and cheap beside them.
 */
export class Conv2dWinogradOp implements GpuOp {
  private constructor(
    private readonly transform: { kernel: Kernel; bindGroup: GPUBindGroup; grid: [number, number] },
    private readonly gemm: GemmOp,
    private readonly untransform: { kernel: Kernel; bindGroup: GPUBindGroup; grid: [number, number] },
    private readonly owned: GPUBuffer[],
  ) {}

  static async create(context: GpuContext, layer: Conv2dLayer, input: GpuTensor, output: GpuTensor, workspace: WinogradWorkspace, tile: GemmTile): Promise<Conv2dWinogradOp> {
    const { tilesX, tiles } = winogradTiles(output.shape);
    const { batch } = output;
    const outC4 = output.c4;
    const transformedWeights = winogradWeights(layer, paddedColumns4(outC4, tile));
    const biasData = new Float32Array(outC4 * 4);
    biasData.set(layer.bias);
    const [forward, backward] = await Promise.all([
      Kernel.create(context, { shader: 'ops/conv2d/winograd_input' }),
      Kernel.create(context, { shader: 'ops/conv2d/winograd_output' }),
    ]);
    const [weights, bias, p1, p3] = await gpuStep(context, `uploading ${layer.name}`, () => [
      createFilledBuffer(context, `${layer.name}.winograd`, transformedWeights),
      createFilledBuffer(context, `${layer.name}.bias`, biasData),
      forward.uniforms({ inWidth: input.shape.width, inHeight: input.shape.height, c4: input.c4, tilesX, tiles, batch, padTop: convPads(layer).top, padLeft: convPads(layer).left }),
      backward.uniforms({ outWidth: output.shape.width, outHeight: output.shape.height, outC4, tilesX, tiles, batch, activation: activationCode(layer.activation) }),
    ]);
    const gemm = await GemmOp.create(
      context,
      { label: layer.name, a: workspace.transformed, b: weights, c: workspace.products, batches: winogradPositions, rows: tiles * batch, k4: input.c4, validCols4: outC4 },
      tile,
    );
    const [transformGroup, untransformGroup] = await gpuStep(context, `preparing ${layer.name}`, () => [
      forward.bindGroup({ input: input.buffer, transformed: workspace.transformed, params: p1 }),
      backward.bindGroup({ products: workspace.products, bias, output: output.buffer, params: p3 }),
    ]);
    return new Conv2dWinogradOp(
      { kernel: forward, bindGroup: transformGroup, grid: foldedGrid(tiles * batch * input.c4, 64) },
      gemm,
      { kernel: backward, bindGroup: untransformGroup, grid: foldedGrid(tiles * batch * outC4, 64) },
      [weights, bias, p1, p3],
    );
  }

  encode(pass: GPUComputePassEncoder): void {
    this.transform.kernel.dispatch(pass, this.transform.bindGroup, ...this.transform.grid);
    this.gemm.encode(pass);
    this.untransform.kernel.dispatch(pass, this.untransform.bindGroup, ...this.untransform.grid);
  }

  destroy(): void {
    this.gemm.destroy();
    this.owned.forEach((b) => b.destroy());
  }
}
