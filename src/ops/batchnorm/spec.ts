import type { Activation } from '../common/activation.ts';
import type { Weights } from '../common/op-definition.ts';

/**
 * Batch normalisation where it cannot be folded into a convolution (DenseNet's BN → ReLU → conv, a BN after a concat),
 * then an activation: y = activate(x · weight[c] + bias[c]). The statistics are folded in by the loader: weight[c] =
 * γ / √(var + ε) (the scale), bias[c] = β − mean · weight[c] (the shift), each [channels].
 */
export interface BatchNormSpec {
  kind: 'batchnorm';
  name: string;
  channels: number;
  activation: Activation;
}

export type BatchNormLayer = BatchNormSpec & Weights;
