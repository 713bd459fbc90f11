import { Dispatch, foldedGrid, type GpuOp } from '../../gpu/dispatch.ts';
import { Kernel } from '../../gpu/kernel.ts';
import { formatShape, ModelShapeError, type TensorShape } from '../../model/shapes.ts';
import type { BacktrackSite, Choice, OpDefinition } from '../common/op-definition.ts';
import { readsNothing } from '../common/gradient.ts';
import { concatGradientReference } from './gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';

/**
 * Tensors of one height and width stacked along channels, in input order: Inception's branches, DenseNet's features.
 * Input i's channel c is output channel offset(i) + c, offset(i) the channels of the inputs before it.
 */
export interface ConcatSpec {
  kind: 'concat';
  name: string;
}

function concatOutputShape(layer: ConcatSpec, inputs: TensorShape[]): TensorShape {
  const [first] = inputs;
  inputs.forEach((shape, i) => {
    if (shape.height !== first.height || shape.width !== first.width) {
      throw new ModelShapeError(
        `${layer.name}: concatenates along channels tensors of different heights and widths (input 0 is ${formatShape(first)}, input ${i} ${formatShape(shape)})`,
      );
    }
  });
  return { channels: inputs.reduce((sum, s) => sum + s.channels, 0), height: first.height, width: first.width };
}

/** Output channel of input `inputIndex`'s channel 0. */
export function channelOffset(inShapes: readonly TensorShape[], inputIndex: number): number {
  return inShapes.slice(0, inputIndex).reduce((sum, s) => sum + s.channels, 0);
}

/** Node (c, y, x) selects node (c − offset, y, x) of the input that holds channel c, nothing in the others. */
function selectConcat(site: BacktrackSite, node: number): Choice {
  const { height, width } = site.outShape;
  const first = channelOffset(site.inShapes, site.inputIndex) * height * width;
  const count = site.inShapes[site.inputIndex].channels * height * width;
  return { children: node >= first && node < first + count ? [node - first] : [], alternatives: null };
}

export const concatOp: OpDefinition<ConcatSpec> = {
  inputs: { min: 2, max: Infinity },
  outputShape: concatOutputShape,
  readSpec: (_f, name) => ({ kind: 'concat', name }),
  fanOut: () => 1,
  forward: {
    // One copy per input; the last one also zeroes the output's padding channels.
    async create(context, _layer, inputs, output): Promise<GpuOp> {
      // Pixels of every image: each image's slice is one more run of pixels with the same strides.
      const pixels = output.shape.height * output.shape.width * output.batch;
      const inShapes = inputs.map((t) => t.shape);
      const copies = await Promise.all(
        inputs.map((input, i) => {
          const offset = channelOffset(inShapes, i);
          const span = i === inputs.length - 1 ? output.c4 * 4 - offset : input.shape.channels;
          const [x, y] = foldedGrid(pixels * span, 64);
          return Dispatch.create(
            context,
            { shader: 'ops/concat/concat' },
            { pixels, inStride: input.c4 * 4, outStride: output.c4 * 4, offset, channels: input.shape.channels, span },
            { input: input.buffer, output: output.buffer },
            [x * 64, y],
          );
        }),
      );
      return {
        encode: (pass) => copies.forEach((copy) => copy.encode(pass)),
        destroy: () => copies.forEach((copy) => copy.destroy()),
      };
    },
  },
  backtrack: {
    async prepare(context) {
      const kernel = await Kernel.create(context, { shader: 'ops/concat/backtrack_concat' });
      return {
        steps: (env) => {
          const { memoryVector, vectorSizes, selected, selections } = env.shared;
          const plane = env.site.outShape.height * env.site.outShape.width;
          return [
            env.indirect(kernel, { memoryVector, vectorSizes, selected, selections }, {
              first: channelOffset(env.site.inShapes, env.site.inputIndex) * plane,
              count: env.site.inShapes[env.site.inputIndex].channels * plane,
              vectorAbove: env.vectorAbove,
              parentTag: env.parentTag,
            }),
          ];
        },
        destroy: () => {},
      };
    },
  },
  reference: {
    // CHW tensors of one plane: stacking channels is laying the arrays end to end.
    forward: (_layer, inputs, _inShapes, outShape) => {
      const out = new Float32Array(outShape.channels * outShape.height * outShape.width);
      let at = 0;
      for (const input of inputs) {
        out.set(input, at);
        at += input.length;
      }
      return out;
    },
    select: (_layer, site, _inputs, node) => selectConcat(site, node),
  },
  gradient: {
    reads: readsNothing,
    reference: concatGradientReference,
    host: oneKernelGradient({ shader: 'ops/concat/gradient_concat', uniforms: (_layer, env, inShapes) => ({ offset: channelOffset(inShapes, env.inputIndex) }) }),
  },
};
