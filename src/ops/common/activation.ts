/**
 * `leaky` is darknet's leaky ReLU with slope {@link LEAKY_SLOPE}; `relu6` is MobileNetV2's ReLU clipped to [0, 6]
 * (ONNX Clip(0, 6), torch ReLU6). Every one maps 0 to 0, so the padding channels of a tensor stay 0.
 */
export const activations = ['relu', 'leaky', 'linear', 'relu6'] as const;
export type Activation = (typeof activations)[number];
export const LEAKY_SLOPE = 0.1;

/** The `activation` uniform of shaders/include/activation.wgsl. */
export function activationCode(activation: Activation): number {
  return { linear: 0, relu: 1, leaky: 2, relu6: 3 }[activation];
}

/** The CPU reference of the fused activations. */
export function activate(value: number, activation: Activation): number {
  if (activation === 'relu') return value > 0 ? value : 0;
  if (activation === 'leaky') return value > 0 ? value : value * LEAKY_SLOPE;
  if (activation === 'relu6') return value > 0 ? Math.min(value, 6) : 0;
  return value;
}

/**
 * The derivative of a fused activation, decided from its output (what the forward keeps): relu and relu6 pass where
 * the output is strictly inside their linear part, leaky has slope 1 where the output is positive and
 * {@link LEAKY_SLOPE} elsewhere (torch's choices at the kinks).
 */
export function activationDerivative(output: number, activation: Activation): number {
  if (activation === 'relu') return output > 0 ? 1 : 0;
  if (activation === 'leaky') return output > 0 ? 1 : LEAKY_SLOPE;
  if (activation === 'relu6') return output > 0 && output < 6 ? 1 : 0;
  return 1;
}
