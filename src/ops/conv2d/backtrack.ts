import { createFilledBuffer } from '../../gpu/buffers.ts';
import { gpuStep } from '../../gpu/context.ts';
import { Kernel } from '../../gpu/kernel.ts';
import { splitRows } from '../../gpu/split-rows.ts';
import type { BacktrackHost } from '../common/op-definition.ts';
import { convGroups, convPads, type Conv2dLayer, type Conv2dSpec } from './spec.ts';

/**
 * Vec4s of input channels a node's group spans: its channels [g·in/groups, (g + 1)·in/groups) rounded out to whole
 * vec4s, the most over all groups (every channel when groups = 1, one vec4 for a depthwise convolution).
 */
export function groupSpan4(layer: Conv2dSpec): number {
  const { groups, inPerGroup } = convGroups(layer);
  let span = 0;
  for (let g = 0; g < groups; g++) span = Math.max(span, Math.ceil(((g + 1) * inPerGroup) / 4) - Math.floor((g * inPerGroup) / 4));
  return span;
}

/**
 * Conv weights for the backtracking, [outChannel][ky][kx][groupSpan4 vec4s]: a node's weights are contiguous and read
 * four input channels at a time, whatever kernel ran the forward pass. A row starts at the vec4 that holds its group's
 * first input channel, so its lanes line up with the activations' (zero outside the group); for groups = 1 that is
 * [outChannel][ky][kx][inChannel padded to 4]. Layers too big for one binding are split by output channels.
 */
export function backtrackConvWeights(layer: Conv2dLayer, first: number, count: number): Float32Array {
  const { kernel: k } = layer;
  const { inPerGroup, outPerGroup } = convGroups(layer);
  const width = groupSpan4(layer) * 4;
  const out = new Float32Array(count * k * k * width);
  for (let o = 0; o < count; o++) {
    const oc = first + o;
    const firstIn = Math.floor(oc / outPerGroup) * inPerGroup;
    const lane0 = firstIn - Math.floor(firstIn / 4) * 4;
    for (let i = 0; i < inPerGroup; i++) {
      for (let kk = 0; kk < k * k; kk++) out[(o * k * k + kk) * width + lane0 + i] = layer.weight[(oc * inPerGroup + i) * k * k + kk];
    }
  }
  return out;
}

/** backtrack_conv2d.wgsl, its window's taps unrolled for the layer's kernel size; one dispatch per weight chunk. */
export const conv2dBacktrack: BacktrackHost<Conv2dLayer> = {
  async prepare(context, layer, _forwardOp, [inShape], outShape) {
    const kernel = await Kernel.create(context, { shader: 'ops/conv2d/backtrack_conv2d', defines: { TAPS: layer.kernel * layer.kernel } });
    const span4 = groupSpan4(layer);
    const rowBytes = layer.kernel * layer.kernel * span4 * 16;
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
            inC4: env.inputs[0].c4,
            outWidth: outShape.width,
            outHeight: outShape.height,
            kernel: layer.kernel,
            stride: layer.stride,
            padTop: convPads(layer).top,
            padLeft: convPads(layer).left,
            inPerGroup: convGroups(layer).inPerGroup,
            outPerGroup: convGroups(layer).outPerGroup,
            span4,
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
