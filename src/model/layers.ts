/**
 * The model is data: a list of typed layer specs. The forward pass, the backtracking, the CPU reference and the 3D view
 * all walk this same list.
 *
 * Canonical layouts (what loaders produce and the CPU reference reads):
 * - activations: CHW, flat index `(c * height + y) * width + x`. This flat index is also a node's id in the fixation tree.
 * - conv2d weight: [outChannels][inChannels][kernel][kernel] (OIHW), bias [outChannels].
 * - dense weight: [outFeatures][inFeatures], bias [outFeatures]; `flatten` orders features as CHW, so loaders of
 *   channels-last sources (Keras, tfjs) permute the first dense layer's inputs at load time.
 * Batch norm is folded into conv weights by the loaders.
 */

/** `leaky` is darknet's leaky ReLU with slope {@link LEAKY_SLOPE}. */
export type Activation = 'relu' | 'leaky' | 'linear';
export const LEAKY_SLOPE = 0.1;

export interface Conv2dSpec {
  kind: 'conv2d';
  name: string;
  kernel: number;
  stride: number;
  padding: number;
  inChannels: number;
  outChannels: number;
  activation: Activation;
}

export interface MaxPoolSpec {
  kind: 'maxpool';
  name: string;
  size: number;
  stride: number;
}

export interface GlobalAvgPoolSpec {
  kind: 'globalAvgPool';
  name: string;
}

export interface FlattenSpec {
  kind: 'flatten';
  name: string;
}

export interface DenseSpec {
  kind: 'dense';
  name: string;
  inFeatures: number;
  outFeatures: number;
  activation: Activation;
}

export interface SoftmaxSpec {
  kind: 'softmax';
  name: string;
}

export type LayerSpec = Conv2dSpec | MaxPoolSpec | GlobalAvgPoolSpec | FlattenSpec | DenseSpec | SoftmaxSpec;
export type LayerKind = LayerSpec['kind'];

export interface Weights {
  weight: Float32Array;
  bias: Float32Array;
}

export type Conv2dLayer = Conv2dSpec & Weights;
export type DenseLayer = DenseSpec & Weights;
export type Layer = Conv2dLayer | DenseLayer | MaxPoolSpec | GlobalAvgPoolSpec | FlattenSpec | SoftmaxSpec;

export type WeightedLayer = Conv2dLayer | DenseLayer;

export function hasWeights(layer: LayerSpec): layer is Conv2dSpec | DenseSpec {
  return layer.kind === 'conv2d' || layer.kind === 'dense';
}

/** Number of weights a conv2d or dense layer must carry, by spec. */
export function weightCount(layer: Conv2dSpec | DenseSpec): number {
  return layer.kind === 'conv2d'
    ? layer.outChannels * layer.inChannels * layer.kernel * layer.kernel
    : layer.outFeatures * layer.inFeatures;
}

export function biasCount(layer: Conv2dSpec | DenseSpec): number {
  return layer.kind === 'conv2d' ? layer.outChannels : layer.outFeatures;
}
