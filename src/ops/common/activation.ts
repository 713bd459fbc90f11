import type { Activation } from '../../model/layers.ts';

/** The `activation` uniform of shaders/include/activation.wgsl. */
export function activationCode(activation: Activation): number {
  return { linear: 0, relu: 1, leaky: 2 }[activation];
}
