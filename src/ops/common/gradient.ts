/** Pieces of the ops' backward references shared by several ops (fused activations, element-wise ops). */
import { activationDerivative, type Activation } from './activation.ts';
import type { GradientReads, GradientReference } from './op-definition.ts';

/** d score / d pre-activation from d score / d output, the derivative decided by the node's output. */
export function preActivationGradient(outGradient: Float64Array, output: Float32Array, activation: Activation): Float64Array {
  if (activation === 'linear') return outGradient;
  return Float64Array.from(outGradient, (g, i) => g * activationDerivative(output[i], activation));
}

/** A node with a fused activation reads its output unless the activation is linear; its inputs it does not read. */
export function activationReads(layer: { activation: Activation }): GradientReads {
  return { inputs: [], output: layer.activation !== 'linear' };
}

export const readsNothing = (): GradientReads => ({ inputs: [], output: false });

/** Ops whose output node n is input node n (flatten: CHW order is the flattened order): the gradient passes through. */
export const identityGradient: GradientReference<unknown> = {
  input: (_layer, _i, outGradient) => Float64Array.from(outGradient),
};
