import type { GradientReference } from '../common/op-definition.ts';
import { adaptiveSpan } from '../common/pool-window.ts';
import { nodeOf } from '../common/window.ts';

/** d score / d input of an adaptive average pool: each output's gradient over its window's size, to its window. */
export const adaptiveAvgPoolGradientReference: GradientReference<unknown> = {
  input(_layer, _inputIndex, outGradient, _inputs, _output, [inShape], outShape) {
    const inGradient = new Float64Array(inShape.channels * inShape.height * inShape.width);
    for (let c = 0; c < outShape.channels; c++) {
      for (let oy = 0; oy < outShape.height; oy++) {
        const rows = adaptiveSpan(oy, outShape.height, inShape.height);
        for (let ox = 0; ox < outShape.width; ox++) {
          const cols = adaptiveSpan(ox, outShape.width, inShape.width);
          const share = outGradient[nodeOf(c, oy, ox, outShape)] / ((rows.end - rows.start) * (cols.end - cols.start));
          for (let y = rows.start; y < rows.end; y++) {
            for (let x = cols.start; x < cols.end; x++) inGradient[nodeOf(c, y, x, inShape)] += share;
          }
        }
      }
    }
    return inGradient;
  },
};
