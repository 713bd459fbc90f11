import type { GradientReference } from '../common/op-definition.ts';

/** d score / d input of a global average pool: channel c's gradient over the plane, to every position of channel c. */
export const globalAvgPoolGradientReference: GradientReference<unknown> = {
  input(_layer, _inputIndex, outGradient, _inputs, _output, [inShape]) {
    const plane = inShape.height * inShape.width;
    const inGradient = new Float64Array(inShape.channels * plane);
    for (let c = 0; c < inShape.channels; c++) inGradient.fill(outGradient[c] / plane, c * plane, (c + 1) * plane);
    return inGradient;
  },
};
