import { preActivationGradient } from '../common/gradient.ts';
import type { GradientReference } from '../common/op-definition.ts';
import type { DenseLayer } from './spec.ts';

/** d score / d input of a dense layer: the weights' transpose times the pre-activation gradient. */
export const denseGradientReference: GradientReference<DenseLayer> = {
  input(layer, _inputIndex, outGradient, _inputs, output) {
    const pre = preActivationGradient(outGradient, output, layer.activation);
    const inGradient = new Float64Array(layer.inFeatures);
    for (let o = 0; o < layer.outFeatures; o++) {
      if (pre[o] === 0) continue;
      const row = o * layer.inFeatures;
      for (let i = 0; i < layer.inFeatures; i++) inGradient[i] += layer.weight[row + i] * pre[o];
    }
    return inGradient;
  },
};
