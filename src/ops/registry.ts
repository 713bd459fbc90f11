/** The only switch over op kinds: each kind's definition (shape rule, kernels, backtracking, CPU reference). */
import { activationOp } from './activation/index.ts';
import { adaptiveAvgPoolOp } from './adaptive-avg-pool/index.ts';
import { addOp } from './add/index.ts';
import { avgPoolOp } from './avgpool/index.ts';
import { batchNormOp } from './batchnorm/index.ts';
import type { OpDefinition } from './common/op-definition.ts';
import { concatOp } from './concat/index.ts';
import { conv2dOp } from './conv2d/index.ts';
import { denseOp } from './dense/index.ts';
import { flattenOp } from './flatten/index.ts';
import { globalAvgPoolOp } from './global-avg-pool/index.ts';
import type { Layer, LayerKind, LayerSpec, WeightedLayer } from './layers.ts';
import { lrnOp } from './lrn/index.ts';
import { maxPoolOp } from './maxpool/index.ts';
import { softmaxOp } from './softmax/index.ts';

type Registry = { [K in LayerKind]: OpDefinition<Extract<LayerSpec, { kind: K }>, Extract<Layer, { kind: K }>> };

const registry: Registry = {
  conv2d: conv2dOp,
  dense: denseOp,
  maxpool: maxPoolOp,
  avgpool: avgPoolOp,
  adaptiveAvgPool: adaptiveAvgPoolOp,
  globalAvgPool: globalAvgPoolOp,
  flatten: flattenOp,
  softmax: softmaxOp,
  add: addOp,
  concat: concatOp,
  batchnorm: batchNormOp,
  lrn: lrnOp,
  activation: activationOp,
};

export const opKinds = Object.keys(registry) as LayerKind[];

export function isOpKind(kind: unknown): kind is LayerKind {
  return typeof kind === 'string' && Object.hasOwn(registry, kind);
}

/** The definition of a node's op, typed loosely: callers hand it the node it came from. */
export function opOf(spec: { kind: string }): OpDefinition<LayerSpec, Layer> {
  if (!isOpKind(spec.kind)) throw new Error(`unknown op "${spec.kind}"; known: ${opKinds.join(', ')}`);
  return registry[spec.kind] as unknown as OpDefinition<LayerSpec, Layer>;
}

/** Whether a spec's op carries weight and bias tensors. */
export function hasWeights(spec: LayerSpec): spec is Extract<LayerSpec, { kind: WeightedLayer['kind'] }> {
  return opOf(spec).weights !== undefined;
}
