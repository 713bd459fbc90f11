import type { TensorShape } from '../../model/shapes.ts';
import type { OpDefinition } from '../common/op-definition.ts';
import { selectInWindow, windowSpan } from '../common/pool-window.ts';
import { coordinatesOf, nodeOf } from '../common/window.ts';
import { avgPoolOutputShape, avgPoolWindow, type AvgPoolSpec } from './spec.ts';
import { oneKernelBacktrack, oneKernelForward, windowSizes } from '../common/window-hosts.ts';
import { readsNothing } from '../common/gradient.ts';
import { avgPoolGradientReference } from './gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';

/** The mean over each window: its in-bounds part, divided with `countIncludePad` by its extent in the padded input. */
export function avgPoolReference(layer: AvgPoolSpec, input: Float32Array, inShape: TensorShape, outShape: TensorShape): Float32Array {
  const window = avgPoolWindow(layer);
  const out = new Float32Array(outShape.channels * outShape.height * outShape.width);
  for (let c = 0; c < outShape.channels; c++) {
    for (let oy = 0; oy < outShape.height; oy++) {
      const rows = windowSpan(oy, inShape.height, window);
      for (let ox = 0; ox < outShape.width; ox++) {
        const cols = windowSpan(ox, inShape.width, window);
        let sum = 0;
        for (let y = rows.start; y < rows.end; y++) {
          for (let x = cols.start; x < cols.end; x++) sum += input[nodeOf(c, y, x, inShape)];
        }
        const count = layer.countIncludePad ? rows.padded * cols.padded : (rows.end - rows.start) * (cols.end - cols.start);
        out[nodeOf(c, oy, ox, outShape)] = sum / count;
      }
    }
  }
  return out;
}

export const avgPoolOp: OpDefinition<AvgPoolSpec> = {
  inputs: { min: 1, max: 1 },
  outputShape: avgPoolOutputShape,
  readSpec: (f, name) => ({
    kind: 'avgpool',
    name,
    size: f.integer('size', 1),
    stride: f.integer('stride', 1),
    padding: f.integer('padding', 0),
    countIncludePad: f.boolean('countIncludePad'),
    ceilMode: f.boolean('ceilMode'),
  }),
  // hysm may select every in-bounds position of a window.
  fanOut: (layer, _i, [inShape]) => Math.min(layer.size, inShape.height) * Math.min(layer.size, inShape.width),
  forward: oneKernelForward('ops/avgpool/avgpool', (layer) => ({
    size: layer.size,
    stride: layer.stride,
    padding: layer.padding,
    countIncludePad: layer.countIncludePad ? 1 : 0,
  })),
  backtrack: oneKernelBacktrack('ops/avgpool/backtrack_avgpool', (layer, env) => ({
    ...windowSizes(env),
    size: layer.size,
    stride: layer.stride,
    padding: layer.padding,
    everyPositive: env.site.rule === 'hysm' ? 1 : 0,
  })),
  reference: {
    forward: (layer, [input], [inShape], outShape) => avgPoolReference(layer, input, inShape, outShape),
    // hysm: every positive position of the window (the argmax when none is); official: the argmax.
    select: (layer, site, [below], node) => {
      const [inShape, outShape] = [site.inShapes[0], site.outShape];
      const { channel, y, x } = coordinatesOf(node, outShape);
      const window = avgPoolWindow(layer);
      const rows = windowSpan(y, inShape.height, window);
      return selectInWindow(below, inShape, channel, rows, windowSpan(x, inShape.width, window), site.rule === 'hysm');
    },
  },
  gradient: {
    reads: readsNothing,
    reference: avgPoolGradientReference,
    host: oneKernelGradient({
      shader: 'ops/avgpool/gradient_avgpool',
      uniforms: (layer) => ({ size: layer.size, stride: layer.stride, padding: layer.padding, countIncludePad: layer.countIncludePad ? 1 : 0 }),
    }),
  },
};
