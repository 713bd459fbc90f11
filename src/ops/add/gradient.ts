import { preActivationGradient } from '../common/gradient.ts';
import type { GradientReference } from '../common/op-definition.ts';
import type { AddSpec } from './index.ts';

/** d score / d either summand: the pre-activation gradient, the same for both. */
export const addGradientReference: GradientReference<AddSpec> = {
  input: (layer, _inputIndex, outGradient, _inputs, output) => Float64Array.from(preActivationGradient(outGradient, output, layer.activation)),
};
