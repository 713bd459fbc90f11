import type { TensorShape } from '../../model/shapes.ts';
import type { OpDefinition } from '../common/op-definition.ts';
import { adaptiveSpan, longestAdaptiveSpan, selectInWindow } from '../common/pool-window.ts';
import { coordinatesOf, nodeOf } from '../common/window.ts';
import { oneKernelBacktrack, oneKernelForward, windowSizes } from '../common/window-hosts.ts';
import { readsNothing } from '../common/gradient.ts';
import { adaptiveAvgPoolGradientReference } from './gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';

/**
 * An average pool to a fixed output size, torch's AdaptiveAvgPool2d: output (oy, ox) averages rows
 * [⌊oy·H / outHeight⌋, ⌈(oy + 1)·H / outHeight⌉) and the same columns (AlexNet's (6, 6), VGG's (7, 7) head). Windows
 * may overlap; an output as large as the input is the identity.
 */
export interface AdaptiveAvgPoolSpec {
  kind: 'adaptiveAvgPool';
  name: string;
  outHeight: number;
  outWidth: number;
}

export function adaptiveAvgPoolReference(input: Float32Array, inShape: TensorShape, outShape: TensorShape): Float32Array {
  const out = new Float32Array(outShape.channels * outShape.height * outShape.width);
  for (let c = 0; c < outShape.channels; c++) {
    for (let oy = 0; oy < outShape.height; oy++) {
      const rows = adaptiveSpan(oy, outShape.height, inShape.height);
      for (let ox = 0; ox < outShape.width; ox++) {
        const cols = adaptiveSpan(ox, outShape.width, inShape.width);
        let sum = 0;
        for (let y = rows.start; y < rows.end; y++) {
          for (let x = cols.start; x < cols.end; x++) sum += input[nodeOf(c, y, x, inShape)];
        }
        out[nodeOf(c, oy, ox, outShape)] = sum / ((rows.end - rows.start) * (cols.end - cols.start));
      }
    }
  }
  return out;
}

export const adaptiveAvgPoolOp: OpDefinition<AdaptiveAvgPoolSpec> = {
  inputs: { min: 1, max: 1 },
  // Every window holds at least one input whatever the sizes, so any output size fits.
  outputShape: (layer, [input]) => ({ channels: input.channels, height: layer.outHeight, width: layer.outWidth }),
  readSpec: (f, name) => ({ kind: 'adaptiveAvgPool', name, outHeight: f.integer('outHeight', 1), outWidth: f.integer('outWidth', 1) }),
  // hysm may select every position of the largest window.
  fanOut: (_layer, _i, [inShape], outShape) =>
    longestAdaptiveSpan(outShape.height, inShape.height) * longestAdaptiveSpan(outShape.width, inShape.width),
  forward: oneKernelForward('ops/adaptive-avg-pool/adaptive_avg_pool'),
  backtrack: oneKernelBacktrack('ops/adaptive-avg-pool/backtrack_adaptive_avg_pool', (_layer, env) => ({
    ...windowSizes(env),
    everyPositive: env.site.rule === 'hysm' ? 1 : 0,
  })),
  reference: {
    forward: (_layer, [input], [inShape], outShape) => adaptiveAvgPoolReference(input, inShape, outShape),
    // hysm: every positive position of the window (the argmax when none is); official: the argmax.
    select: (_layer, site, [below], node) => {
      const [inShape, outShape] = [site.inShapes[0], site.outShape];
      const { channel, y, x } = coordinatesOf(node, outShape);
      const rows = adaptiveSpan(y, outShape.height, inShape.height);
      const cols = adaptiveSpan(x, outShape.width, inShape.width);
      return selectInWindow(below, inShape, channel, rows, cols, site.rule === 'hysm');
    },
  },
  gradient: { reads: readsNothing, reference: adaptiveAvgPoolGradientReference, host: oneKernelGradient({ shader: 'ops/adaptive-avg-pool/gradient_adaptive_avg_pool' }) },
};
