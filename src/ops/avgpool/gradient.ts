import type { GradientReference } from '../common/op-definition.ts';
import { windowSpan } from '../common/pool-window.ts';
import { nodeOf } from '../common/window.ts';
import { avgPoolWindow, type AvgPoolSpec } from './spec.ts';

/**
 * d score / d input of an average pool: each output's gradient over its divisor (the forward's: the padded extent with
 * `countIncludePad`, else the in-bounds positions), to every in-bounds position of its window.
 */
export const avgPoolGradientReference: GradientReference<AvgPoolSpec> = {
  input(layer, _inputIndex, outGradient, _inputs, _output, [inShape], outShape) {
    const window = avgPoolWindow(layer);
    const inGradient = new Float64Array(inShape.channels * inShape.height * inShape.width);
    for (let c = 0; c < outShape.channels; c++) {
      for (let oy = 0; oy < outShape.height; oy++) {
        const rows = windowSpan(oy, inShape.height, window);
        for (let ox = 0; ox < outShape.width; ox++) {
          const cols = windowSpan(ox, inShape.width, window);
          const count = layer.countIncludePad ? rows.padded * cols.padded : (rows.end - rows.start) * (cols.end - cols.start);
          const share = outGradient[nodeOf(c, oy, ox, outShape)] / count;
          for (let y = rows.start; y < rows.end; y++) {
            for (let x = cols.start; x < cols.end; x++) inGradient[nodeOf(c, y, x, inShape)] += share;
          }
        }
      }
    }
    return inGradient;
  },
};
