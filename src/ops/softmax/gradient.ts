import type { GradientReference } from '../common/op-definition.ts';

/** d score / d input of a softmax from its output y: yᵢ · (gᵢ − Σⱼ gⱼ yⱼ). */
export const softmaxGradientReference: GradientReference<unknown> = {
  input(_layer, _inputIndex, outGradient, _inputs, output) {
    let dot = 0;
    for (let j = 0; j < output.length; j++) dot += outGradient[j] * output[j];
    return Float64Array.from(output, (y, i) => y * (outGradient[i] - dot));
  },
};
