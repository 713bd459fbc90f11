import type { TensorShape } from '../../model/shapes.ts';
import type { OpDefinition } from '../common/op-definition.ts';
import { selectInWindow, windowSpan, type PoolWindow } from '../common/pool-window.ts';
import { coordinatesOf, nodeOf } from '../common/window.ts';
import { maxPoolOutputShape, maxPoolWindow, type MaxPoolSpec } from './spec.ts';
import { oneKernelBacktrack, oneKernelForward, windowSizes } from '../common/window-hosts.ts';
import { maxPoolGradientReference } from './gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';

/** The maximum over each window's in-bounds part: padding is −∞. */
export function maxPoolReference(window: PoolWindow, input: Float32Array, inShape: TensorShape, outShape: TensorShape): Float32Array {
  const out = new Float32Array(outShape.channels * outShape.height * outShape.width);
  for (let c = 0; c < outShape.channels; c++) {
    for (let oy = 0; oy < outShape.height; oy++) {
      const rows = windowSpan(oy, inShape.height, window);
      for (let ox = 0; ox < outShape.width; ox++) {
        const cols = windowSpan(ox, inShape.width, window);
        let best = -Infinity;
        for (let y = rows.start; y < rows.end; y++) {
          for (let x = cols.start; x < cols.end; x++) best = Math.max(best, input[nodeOf(c, y, x, inShape)]);
        }
        out[nodeOf(c, oy, ox, outShape)] = best;
      }
    }
  }
  return out;
}

export const maxPoolOp: OpDefinition<MaxPoolSpec> = {
  inputs: { min: 1, max: 1 },
  outputShape: maxPoolOutputShape,
  // Stored models from before padding and ceil mode have neither field: their spec stays as it was.
  readSpec: (f, name) => ({
    kind: 'maxpool',
    name,
    size: f.integer('size', 1),
    stride: f.integer('stride', 1),
    ...(f.has('padding') ? { padding: f.integer('padding', 0) } : {}),
    ...(f.has('ceilMode') ? { ceilMode: f.boolean('ceilMode') } : {}),
  }),
  fanOut: () => 1,
  forward: oneKernelForward('ops/maxpool/maxpool', (layer) => ({ size: layer.size, stride: layer.stride, padding: maxPoolWindow(layer).padding })),
  backtrack: oneKernelBacktrack('ops/maxpool/backtrack_maxpool', (layer, env) => ({
    ...windowSizes(env),
    size: layer.size,
    stride: layer.stride,
    padding: maxPoolWindow(layer).padding,
  })),
  reference: {
    forward: (layer, [input], [inShape], outShape) => maxPoolReference(maxPoolWindow(layer), input, inShape, outShape),
    // The argmax of the window's in-bounds part, under both rules (ties: the lowest position).
    select: (layer, site, [below], node) => {
      const [inShape, outShape] = [site.inShapes[0], site.outShape];
      const { channel, y, x } = coordinatesOf(node, outShape);
      const window = maxPoolWindow(layer);
      return selectInWindow(below, inShape, channel, windowSpan(y, inShape.height, window), windowSpan(x, inShape.width, window), false);
    },
  },
  // The argmax is found again in the input.
  gradient: {
    reads: () => ({ inputs: [0], output: false }),
    reference: maxPoolGradientReference,
    host: oneKernelGradient({
      shader: 'ops/maxpool/gradient_maxpool',
      binds: { input: true },
      uniforms: (layer) => ({ size: layer.size, stride: layer.stride, padding: maxPoolWindow(layer).padding }),
    }),
  },
};
