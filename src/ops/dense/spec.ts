import type { Activation } from '../common/activation.ts';
import type { BacktrackSite, Weights } from '../common/op-definition.ts';
import { formatShape, isVector, ModelShapeError, type TensorShape } from '../../model/shapes.ts';

/** A fully connected layer. Weight [outFeatures][inFeatures], bias [outFeatures]; inputs in CHW order. */
export interface DenseSpec {
  kind: 'dense';
  name: string;
  inFeatures: number;
  outFeatures: number;
  activation: Activation;
}

export type DenseLayer = DenseSpec & Weights;

export function denseOutputShape(layer: DenseSpec, [input]: TensorShape[]): TensorShape {
  if (!isVector(input)) {
    throw new ModelShapeError(
      `${layer.name}: a dense layer needs a vector input; put a flatten or global average pool before it (got ${formatShape(input)})`,
    );
  }
  if (layer.inFeatures !== input.channels) {
    throw new ModelShapeError(`${layer.name}: expects ${layer.inFeatures} input features but its input has ${input.channels}`);
  }
  return { channels: layer.outFeatures, height: 1, width: 1 };
}

export const denseWeights = {
  shape: (layer: DenseSpec) => [layer.outFeatures, layer.inFeatures],
  sizes: (layer: DenseSpec) => ({ weight: layer.outFeatures * layer.inFeatures, bias: layer.outFeatures }),
  fanIn: (layer: DenseSpec) => layer.inFeatures,
};

/**
 * The fc→spatial boundary: a dense layer whose input is a flattened feature map (VGG's fc6 after pool5). There the
 * official rule keeps a single contributor; everywhere else both rules keep every positive one.
 */
export function isSpatialBoundary(site: Pick<BacktrackSite, 'wiring' | 'graph'>): boolean {
  const below = site.graph.producer(site.wiring.inputs[0]);
  if (below?.kind !== 'flatten') return false;
  const spatial = site.graph.shape(below.inputs[0]);
  return spatial.height * spatial.width > 1;
}

/** Official at the boundary: the top contributor alone. */
export function keepsTopOnly(site: BacktrackSite): boolean {
  return site.rule === 'official' && isSpatialBoundary(site);
}
