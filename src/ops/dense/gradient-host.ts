import { Dispatch, foldedGrid } from '../../gpu/dispatch.ts';
import { activationCode } from '../common/activation.ts';
import { gradientHeader } from '../common/gradient-host.ts';
import type { GradientHost } from '../common/op-definition.ts';
import { DenseOp } from './forward.ts';
import type { DenseLayer } from './spec.ts';

/**
 * Over the forward pass's own weight chunks (rows padded to whole vec4s; VGG's fc6 is 411 MB, split to fit a binding):
 * one dispatch per chunk, the first writing the input gradient (or adding, for a later consumer), the others adding.
 */
export const denseGradientHost: GradientHost<DenseLayer> = {
  async prepare(context, layer, forwardOp, inShapes, outShape) {
    if (!(forwardOp instanceof DenseOp)) throw new Error(`${layer.name}: expected a dense op`);
    const rowStride = Math.ceil(layer.inFeatures / 4) * 4;
    return {
      async step(env) {
        const header = gradientHeader(env, inShapes, outShape);
        const [x, y] = foldedGrid(header.elements, 64);
        const dispatches = await Promise.all(
          forwardOp.weights.chunks.map((chunk, i) =>
            Dispatch.create(
              context,
              { shader: 'ops/dense/gradient_dense' },
              { ...header, accumulate: i > 0 || env.accumulate ? 1 : 0, rowOffset: chunk.first, rows: chunk.count, rowStride, activation: activationCode(layer.activation) },
              { output: env.output.buffer, weight: chunk.buffer, outGradient: env.outGradient, inGradient: env.inGradient },
              [x * 64, y],
            ),
          ),
        );
        return { encode: (pass) => dispatches.forEach((d) => d.encode(pass)), destroy: () => dispatches.forEach((d) => d.destroy()) };
      },
      destroy: () => {},
    };
  },
};
