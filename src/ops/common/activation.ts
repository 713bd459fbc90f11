/** `leaky` is darknet's leaky ReLU with slope {@link LEAKY_SLOPE}. */
export const activations = ['relu', 'leaky', 'linear'] as const;
export type Activation = (typeof activations)[number];
export const LEAKY_SLOPE = 0.1;

/** The `activation` uniform of shaders/include/activation.wgsl. */
export function activationCode(activation: Activation): number {
  return { linear: 0, relu: 1, leaky: 2 }[activation];
}

/** The CPU reference of the fused activations. */
export function activate(value: number, activation: Activation): number {
  if (activation === 'relu') return value > 0 ? value : 0;
  if (activation === 'leaky') return value > 0 ? value : value * LEAKY_SLOPE;
  return value;
}
