import type { Activation } from '../common/activation.ts';

/** The sum of two tensors of one shape, then an activation: ResNet's `relu(x + F(x))`, MobileNetV2's `x + F(x)`. */
export interface AddSpec {
  kind: 'add';
  name: string;
  activation: Activation;
}
