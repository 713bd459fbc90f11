import type { GradientReference } from '../common/op-definition.ts';

/** d score / d input i of a concat: the output gradient's channels of input i (CHW: one contiguous run). */
export const concatGradientReference: GradientReference<unknown> = {
  input(_layer, inputIndex, outGradient, _inputs, _output, inShapes) {
    const { channels, height, width } = inShapes[inputIndex];
    // Input i's channel 0 is output channel Σ_{j<i} channels(j) (as the forward stacks them).
    const offset = inShapes.slice(0, inputIndex).reduce((sum, s) => sum + s.channels, 0);
    const first = offset * height * width;
    return outGradient.slice(first, first + channels * height * width);
  },
};
