import { createFilledBuffer } from '../../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../../gpu/context.ts';
import { foldedGrid, type GpuOp } from '../../gpu/dispatch.ts';
import { Kernel } from '../../gpu/kernel.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { activationCode } from '../common/activation.ts';
import { convPads, isDepthwise, type Conv2dLayer, type Conv2dSpec } from './spec.ts';

/** Output pixels one invocation computes (a run of one row): 8 measured as fast as 4 or faster on SwiftShader. */
const depthwiseTileM = 8;

/** Depthwise convolutions (MobileNet's), any kernel size, stride and padding. */
export function depthwiseApplies(layer: Conv2dSpec): boolean {
  return isDepthwise(layer);
}

/** Weights [c4][ky][kx][lane]: the four channels of a vec4 side by side, padding channels zero. */
export function depthwiseWeights(layer: Conv2dLayer): Float32Array {
  const { kernel: k, outChannels } = layer;
  const out = new Float32Array(Math.ceil(outChannels / 4) * k * k * 4);
  for (let c = 0; c < outChannels; c++) {
    for (let tap = 0; tap < k * k; tap++) out[(Math.floor(c / 4) * k * k + tap) * 4 + (c % 4)] = layer.weight[c * k * k + tap];
  }
  return out;
}

/** The host of depthwise.wgsl: one dispatch, one invocation per run of TILE_M output pixels and vec4 of channels. */
export class Conv2dDepthwiseOp implements GpuOp {
  private constructor(
    private readonly kernel: Kernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly grid: [number, number],
    private readonly owned: GPUBuffer[],
  ) {}

  static async create(context: GpuContext, layer: Conv2dLayer, input: GpuTensor, output: GpuTensor): Promise<Conv2dDepthwiseOp> {
    const threads = 64;
    const kernel = await Kernel.create(context, {
      shader: 'ops/conv2d/depthwise',
      defines: { TILE_M: depthwiseTileM, KERNEL: layer.kernel, STRIDE: layer.stride, SPAN: (depthwiseTileM - 1) * layer.stride + layer.kernel },
      constants: { WG_X: threads },
    });
    const tilesPerRow = Math.ceil(output.shape.width / depthwiseTileM);
    const tiles = tilesPerRow * output.shape.height;
    const biasData = new Float32Array(output.c4 * 4);
    biasData.set(layer.bias);
    const { top, left } = convPads(layer);
    return gpuStep(context, `uploading ${layer.name}`, () => {
      const weights = createFilledBuffer(context, `${layer.name}.weight (depthwise)`, depthwiseWeights(layer));
      const bias = createFilledBuffer(context, `${layer.name}.bias`, biasData);
      const params = kernel.uniforms({
        inWidth: input.shape.width,
        inHeight: input.shape.height,
        c4: input.c4,
        outWidth: output.shape.width,
        outHeight: output.shape.height,
        padTop: top,
        padLeft: left,
        tilesPerRow,
        tiles,
        batch: output.batch,
        activation: activationCode(layer.activation),
      });
      const bindGroup = kernel.bindGroup({ input: input.buffer, weights, bias, output: output.buffer, params });
      return new Conv2dDepthwiseOp(kernel, bindGroup, foldedGrid(tiles * output.c4 * output.batch, threads), [weights, bias, params]);
    });
  }

  encode(pass: GPUComputePassEncoder): void {
    this.kernel.dispatch(pass, this.bindGroup, ...this.grid);
  }

  destroy(): void {
    this.owned.forEach((b) => b.destroy());
  }
}
