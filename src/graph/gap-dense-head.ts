import type { Conv2dLayer, Conv2dSpec } from '../ops/conv2d/spec.ts';
import { convPads } from '../ops/conv2d/spec.ts';
import type { DenseLayer } from '../ops/dense/spec.ts';
import { graphOf, validateModel, type ArchitectureNode, type GraphNode, type Model } from './model.ts';

/** A head whose linear 1×1 convolution to the classes is followed by a global average pool (Tiny Darknet's). */
interface ConvGapHead {
  conv: Conv2dLayer & GraphNode;
  pool: GraphNode;
}

/**
 * A linear 1×1 conv: stride 1, no padding, no groups, no activation. Then conv and a global average pool commute,
 * GAP(conv(x)) = conv1×1(GAP(x)): padding would add bias-only positions to the mean, a stride would drop positions.
 */
export function isLinearPointwiseConv<N extends ArchitectureNode>(node: N): node is N & Conv2dSpec {
  if (node.kind !== 'conv2d') return false;
  const pads = convPads(node);
  return (
    node.kernel === 1 &&
    node.stride === 1 &&
    pads.top + pads.left + pads.bottom + pads.right === 0 &&
    (node.groups ?? 1) === 1 &&
    node.activation === 'linear'
  );
}

function findConvGapHeads(model: Model): ConvGapHead[] {
  const graph = graphOf(model);
  const heads: ConvGapHead[] = [];
  for (const pool of model.nodes) {
    if (pool.kind !== 'globalAvgPool') continue;
    const conv = model.nodes.find((n) => n.output === pool.inputs[0]);
    if (!conv || !isLinearPointwiseConv(conv)) continue;
    if (graph.consumers.get(conv.output)!.length !== 1) continue;
    heads.push({ conv, pool });
  }
  return heads;
}

/** Whether `model` has a head {@link gapHeadAsDense} rewrites. */
export function hasConvGapHead(model: Model): boolean {
  return findConvGapHeads(model).length > 0;
}

/**
 * The exact normalisation of a "linear 1×1 conv → global average pool" head into "global average pool → dense" with the
 * same weights (OIHW with a 1×1 kernel is the dense layer's [out][in]); the scores are the same function, summed in
 * another order. Under the official rule the first form yields one fixation (the GAP's argmax, one node, one channel per
 * layer down); in the second the dense layer keeps every positively contributing channel, each with its own argmax,
 * as the CNN-Fixations code does for GoogLeNet and ResNet. Returns null when the model has no such head.
 */
export function gapHeadAsDense(model: Model): Model | null {
  const heads = findConvGapHeads(model);
  if (heads.length === 0) return null;
  const replaced = new Map<GraphNode, GraphNode[]>();
  for (const { conv, pool } of heads) {
    const pooled = uniqueTensorName(model, `${conv.inputs[0]}_gap`);
    const gap: GraphNode = { kind: 'globalAvgPool', name: pool.name, inputs: [conv.inputs[0]], output: pooled };
    const dense: DenseLayer & GraphNode = {
      kind: 'dense',
      name: conv.name,
      inFeatures: conv.inChannels,
      outFeatures: conv.outChannels,
      activation: 'linear',
      weight: conv.weight,
      bias: conv.bias,
      inputs: [pooled],
      output: pool.output,
    };
    replaced.set(conv, []);
    replaced.set(pool, [gap, dense]);
  }
  const nodes = model.nodes.flatMap((node) => replaced.get(node) ?? [node]);
  const rewritten: Model = { ...model, nodes };
  validateModel(rewritten);
  return rewritten;
}

function uniqueTensorName(model: Model, wanted: string): string {
  const taken = new Set(model.nodes.map((n) => n.output));
  let name = wanted;
  for (let i = 2; taken.has(name); i++) name = `${wanted}${i}`;
  return name;
}
