import type { GpuContext } from '../../gpu/context.ts';
import { convGroups, symmetricPadding, type Conv2dLayer, type Conv2dSpec } from './spec.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import type { GemmTile } from '../common/kernel-choices.ts';
import { BiasedGemmOp } from './gemm.ts';

/**
 * A 1×1 stride-1 ungrouped convolution without padding is a matrix product over pixels: the activation is already A.
 * (Grouped 1×1 convolutions run direct, which reads only each group's channels.)
 */
export function pointwiseApplies(layer: Conv2dSpec): boolean {
  return layer.kernel === 1 && layer.stride === 1 && symmetricPadding(layer) === 0 && convGroups(layer).groups === 1;
}

/** B = Wᵀ: [inChannel padded to 4][outChannel, columns padded to paddedCols4·4]. */
export function pointwiseWeights(layer: Conv2dLayer, paddedCols4: number): Float32Array {
  const width = paddedCols4 * 4;
  const out = new Float32Array(Math.ceil(layer.inChannels / 4) * 4 * width);
  for (let oc = 0; oc < layer.outChannels; oc++) {
    for (let ic = 0; ic < layer.inChannels; ic++) out[ic * width + oc] = layer.weight[oc * layer.inChannels + ic];
  }
  return out;
}

export class Conv2dPointwiseOp extends BiasedGemmOp {
  static async create(context: GpuContext, layer: Conv2dLayer, input: GpuTensor, output: GpuTensor, tile: GemmTile): Promise<Conv2dPointwiseOp> {
    // Every image's pixels: the batch's images follow one another as rows of A and C.
    const rows = input.shape.width * input.shape.height * input.batch;
    const gemm = { ...layer, rows, weights: (paddedCols4: number) => pointwiseWeights(layer, paddedCols4) };
    return new Conv2dPointwiseOp(...(await BiasedGemmOp.prepare(context, gemm, input, output, tile)));
  }
}
