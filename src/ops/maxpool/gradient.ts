import type { GradientReference } from '../common/op-definition.ts';
import { windowSpan } from '../common/pool-window.ts';
import { nodeOf } from '../common/window.ts';
import { maxPoolWindow, type MaxPoolSpec } from './spec.ts';

/**
 * d score / d input of a max-pool: each output's gradient goes to its window's argmax among in-bounds positions (ties:
 * the lowest position, as the backtracking selects; padding never), summed where windows overlap.
 */
export const maxPoolGradientReference: GradientReference<MaxPoolSpec> = {
  input(layer, _inputIndex, outGradient, [input], _output, [inShape], outShape) {
    const window = maxPoolWindow(layer);
    const inGradient = new Float64Array(input.length);
    for (let c = 0; c < outShape.channels; c++) {
      for (let oy = 0; oy < outShape.height; oy++) {
        const rows = windowSpan(oy, inShape.height, window);
        for (let ox = 0; ox < outShape.width; ox++) {
          const cols = windowSpan(ox, inShape.width, window);
          let argmax = -1;
          for (let y = rows.start; y < rows.end; y++) {
            for (let x = cols.start; x < cols.end; x++) {
              const at = nodeOf(c, y, x, inShape);
              if (argmax < 0 || input[at] > input[argmax]) argmax = at;
            }
          }
          inGradient[argmax] += outGradient[nodeOf(c, oy, ox, outShape)];
        }
      }
    }
    return inGradient;
  },
};
