/**
 * The ops a graph node can be, as data. Canonical layouts (what loaders produce and the CPU reference reads):
 * - activations: CHW, flat index `(c * height + y) * width + x`. This flat index is also a node's id in the fixation tree.
 * - weights: as each op's spec says (conv2d OIHW, dense [out][in]); `flatten` orders features as CHW, so loaders of
 *   channels-last sources (Keras, tfjs) permute the first dense layer's inputs at load time.
 * Batch norm is folded into conv weights by the loaders where a conv comes before it; elsewhere it is a `batchnorm` node
 * with the statistics folded into a per-channel scale and shift.
 */
import type { ActivationSpec } from './activation/index.ts';
import type { AdaptiveAvgPoolSpec } from './adaptive-avg-pool/index.ts';
import type { AddSpec } from './add/index.ts';
import type { AvgPoolSpec } from './avgpool/spec.ts';
import type { BatchNormLayer, BatchNormSpec } from './batchnorm/index.ts';
import type { ConcatSpec } from './concat/index.ts';
import type { Conv2dLayer, Conv2dSpec } from './conv2d/spec.ts';
import type { DenseLayer, DenseSpec } from './dense/spec.ts';
import type { FlattenSpec } from './flatten/index.ts';
import type { GlobalAvgPoolSpec } from './global-avg-pool/index.ts';
import type { LrnSpec } from './lrn/index.ts';
import type { MaxPoolSpec } from './maxpool/spec.ts';
import type { SoftmaxSpec } from './softmax/index.ts';

export type { Activation } from './common/activation.ts';
export { LEAKY_SLOPE } from './common/activation.ts';
export type { Weights } from './common/op-definition.ts';
export type {
  ActivationSpec,
  AdaptiveAvgPoolSpec,
  AddSpec,
  AvgPoolSpec,
  BatchNormLayer,
  BatchNormSpec,
  ConcatSpec,
  Conv2dLayer,
  Conv2dSpec,
  DenseLayer,
  DenseSpec,
  FlattenSpec,
  GlobalAvgPoolSpec,
  LrnSpec,
  MaxPoolSpec,
  SoftmaxSpec,
};

export type LayerSpec =
  | Conv2dSpec
  | MaxPoolSpec
  | AvgPoolSpec
  | AdaptiveAvgPoolSpec
  | GlobalAvgPoolSpec
  | FlattenSpec
  | DenseSpec
  | SoftmaxSpec
  | AddSpec
  | ConcatSpec
  | BatchNormSpec
  | LrnSpec
  | ActivationSpec;
export type LayerKind = LayerSpec['kind'];
export type Layer =
  | Conv2dLayer
  | DenseLayer
  | MaxPoolSpec
  | AvgPoolSpec
  | AdaptiveAvgPoolSpec
  | GlobalAvgPoolSpec
  | FlattenSpec
  | SoftmaxSpec
  | AddSpec
  | ConcatSpec
  | BatchNormLayer
  | LrnSpec
  | ActivationSpec;
export type WeightedLayer = Extract<Layer, { weight: Float32Array }>;
