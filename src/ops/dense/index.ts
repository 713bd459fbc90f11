import type { OpDefinition } from '../common/op-definition.ts';
import { denseBacktrack } from './backtrack.ts';
import { denseForward } from './forward.ts';
import { denseOpReference } from './reference.ts';
import { denseOutputShape, denseWeights, type DenseLayer, type DenseSpec } from './spec.ts';
import { activationReads } from '../common/gradient.ts';
import { denseGradientReference } from './gradient.ts';
import { denseGradientHost } from './gradient-host.ts';
import { activations } from '../common/activation.ts';

export const denseOp: OpDefinition<DenseSpec, DenseLayer> = {
  inputs: { min: 1, max: 1 },
  outputShape: denseOutputShape,
  readSpec: (f, name) => ({
    kind: 'dense',
    name,
    inFeatures: f.integer('inFeatures', 1),
    outFeatures: f.integer('outFeatures', 1),
    activation: f.oneOf('activation', activations),
  }),
  weights: denseWeights,
  fanOut: (layer) => layer.inFeatures,
  forward: denseForward,
  backtrack: denseBacktrack,
  reference: denseOpReference,
  gradient: {
    reads: activationReads,
    reference: denseGradientReference,
    host: denseGradientHost,
  },
};
