import { Dispatch } from '../../gpu/dispatch.ts';
import { Kernel } from '../../gpu/kernel.ts';
import type { TensorShape } from '../../model/shapes.ts';
import type { OpDefinition } from '../common/op-definition.ts';
import { nodeOf } from '../common/window.ts';
import { maxPoolOutputShape, type MaxPoolSpec } from './spec.ts';

export function maxPoolReference(size: number, stride: number, input: Float32Array, inShape: TensorShape, outShape: TensorShape): Float32Array {
  const out = new Float32Array(outShape.channels * outShape.height * outShape.width);
  for (let c = 0; c < outShape.channels; c++) {
    for (let oy = 0; oy < outShape.height; oy++) {
      for (let ox = 0; ox < outShape.width; ox++) {
        let best = -Infinity;
        for (let dy = 0; dy < size; dy++) {
          for (let dx = 0; dx < size; dx++) {
            const v = input[(c * inShape.height + oy * stride + dy) * inShape.width + ox * stride + dx];
            if (v > best) best = v;
          }
        }
        out[(c * outShape.height + oy) * outShape.width + ox] = best;
      }
    }
  }
  return out;
}

/** The argmax of the node's window (ties: the lowest position). */
function selectMaxPool(layer: MaxPoolSpec, below: Float32Array, inShape: TensorShape, outShape: TensorShape, node: number): number {
  const plane = outShape.height * outShape.width;
  const c = Math.floor(node / plane);
  const oy = Math.floor((node % plane) / outShape.width);
  const ox = node % outShape.width;
  let best = -1;
  let bestValue = -Infinity;
  for (let dy = 0; dy < layer.size; dy++) {
    for (let dx = 0; dx < layer.size; dx++) {
      const child = nodeOf(c, oy * layer.stride + dy, ox * layer.stride + dx, inShape);
      if (best < 0 || below[child] > bestValue) [best, bestValue] = [child, below[child]];
    }
  }
  return best;
}

export const maxPoolOp: OpDefinition<MaxPoolSpec> = {
  inputs: { min: 1, max: 1 },
  outputShape: maxPoolOutputShape,
  readSpec: (f, name) => ({ kind: 'maxpool', name, size: f.integer('size', 1), stride: f.integer('stride', 1) }),
  fanOut: () => 1,
  forward: {
    create: (context, layer, [input], output) =>
      Dispatch.create(
        context,
        { shader: 'ops/maxpool/maxpool' },
        {
          inWidth: input.shape.width,
          inHeight: input.shape.height,
          c4: input.c4,
          outWidth: output.shape.width,
          outHeight: output.shape.height,
          size: layer.size,
          stride: layer.stride,
        },
        { input: input.buffer, output: output.buffer },
        [output.shape.width * output.shape.height * output.c4],
      ),
  },
  backtrack: {
    async prepare(context, layer, _op, [inShape], outShape) {
      const kernel = await Kernel.create(context, { shader: 'ops/maxpool/backtrack_maxpool' });
      return {
        steps: (env) => [
          env.indirect(kernel, env.shared, {
            inWidth: inShape.width,
            inHeight: inShape.height,
            inPixelStride: env.inputs[0].c4 * 4,
            outWidth: outShape.width,
            outHeight: outShape.height,
            size: layer.size,
            stride: layer.stride,
            vectorAbove: env.vectorAbove,
            parentTag: env.parentTag,
          }),
        ],
        destroy: () => {},
      };
    },
  },
  reference: {
    forward: (layer, [input], [inShape], outShape) => maxPoolReference(layer.size, layer.stride, input, inShape, outShape),
    select: (layer, site, [below], node) => ({ children: [selectMaxPool(layer, below, site.inShapes[0], site.outShape, node)], alternatives: null }),
  },
};
