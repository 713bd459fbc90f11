import { createFilledBuffer } from '../../gpu/buffers.ts';
import { gpuStep } from '../../gpu/context.ts';
import { Kernel } from '../../gpu/kernel.ts';
import { splitRows } from '../../gpu/split-rows.ts';
import type { BacktrackHost } from '../common/op-definition.ts';
import type { Conv2dLayer } from './spec.ts';

/**
 * Conv weights for the backtracking, [outChannel][ky][kx][inChannel padded to 4]: a node's weights are contiguous and
 * read four input channels at a time, whatever kernel ran the forward pass. Layers too big for one binding are split
 * by output channels.
 */
export function backtrackConvWeights(layer: Conv2dLayer, first: number, count: number): Float32Array {
  const { kernel: k, inChannels } = layer;
  const inPadded = Math.ceil(inChannels / 4) * 4;
  const out = new Float32Array(count * k * k * inPadded);
  for (let o = 0; o < count; o++) {
    for (let ic = 0; ic < inChannels; ic++) {
      for (let kk = 0; kk < k * k; kk++) out[((o * k * k) + kk) * inPadded + ic] = layer.weight[((first + o) * inChannels + ic) * k * k + kk];
    }
  }
  return out;
}

/** backtrack_conv2d.wgsl, its window's taps unrolled for the layer's kernel size; one dispatch per weight chunk. */
export const conv2dBacktrack: BacktrackHost<Conv2dLayer> = {
  async prepare(context, layer, _forwardOp, [inShape], outShape) {
    const kernel = await Kernel.create(context, { shader: 'ops/conv2d/backtrack_conv2d', defines: { TAPS: layer.kernel * layer.kernel } });
    const rowBytes = layer.kernel * layer.kernel * Math.ceil(layer.inChannels / 4) * 16;
    const chunks = await gpuStep(context, `uploading ${layer.name}'s weights for the backtracking`, () =>
      splitRows(context, `${layer.name} weights (backtracking)`, layer.outChannels, rowBytes).map((chunk) => ({
        ...chunk,
        buffer: createFilledBuffer(context, `${layer.name}.weight (backtracking)[${chunk.first}]`, backtrackConvWeights(layer, chunk.first, chunk.count)),
      })),
    );
    return {
      steps: (env) =>
        chunks.map((chunk) =>
          env.indirect(kernel, { ...env.shared, weights: chunk.buffer }, {
            inWidth: inShape.width,
            inHeight: inShape.height,
            inChannels: inShape.channels,
            inC4: env.inputs[0].c4,
            outWidth: outShape.width,
            outHeight: outShape.height,
            kernel: layer.kernel,
            stride: layer.stride,
            padding: layer.padding,
            chunkFirstChannel: chunk.first,
            chunkChannels: chunk.count,
            centre: env.site.rule === 'official' ? 1 : 0,
            vectorAbove: env.vectorAbove,
            parentTag: env.parentTag,
          }),
        ),
      destroy: () => chunks.forEach((c) => c.buffer.destroy()),
    };
  },
};
