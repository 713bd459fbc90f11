import { preActivationGradient } from '../common/gradient.ts';
import type { GradientReference } from '../common/op-definition.ts';
import type { BatchNormLayer } from './index.ts';

/** d score / d input of a batch norm: the pre-activation gradient times channel c's scale. */
export const batchNormGradientReference: GradientReference<BatchNormLayer> = {
  input(layer, _inputIndex, outGradient, _inputs, output, [shape]) {
    const pre = preActivationGradient(outGradient, output, layer.activation);
    const plane = shape.height * shape.width;
    return Float64Array.from(pre, (g, i) => g * layer.weight[Math.floor(i / plane)]);
  },
};
