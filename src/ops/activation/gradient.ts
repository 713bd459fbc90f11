import { preActivationGradient } from '../common/gradient.ts';
import type { GradientReference } from '../common/op-definition.ts';
import type { ActivationSpec } from './index.ts';

/** d score / d input of a standalone activation: the output gradient times the derivative, decided by the output. */
export const activationGradientReference: GradientReference<ActivationSpec> = {
  input: (layer, _inputIndex, outGradient, _inputs, output) => Float64Array.from(preActivationGradient(outGradient, output, layer.activation)),
};
