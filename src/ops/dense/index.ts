import type { OpDefinition } from '../common/op-definition.ts';
import { denseBacktrack } from './backtrack.ts';
import { denseForward } from './forward.ts';
import { denseOpReference } from './reference.ts';
import { denseOutputShape, denseWeights, type DenseLayer, type DenseSpec } from './spec.ts';

export const denseOp: OpDefinition<DenseSpec, DenseLayer> = {
  inputs: { min: 1, max: 1 },
  outputShape: denseOutputShape,
  weights: denseWeights,
  fanOut: (layer) => layer.inFeatures,
  forward: denseForward,
  backtrack: denseBacktrack,
  reference: denseOpReference,
};
