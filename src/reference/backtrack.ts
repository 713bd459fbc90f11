/**
 * CPU reference of the backtracking: each node's op reference selects (plain loops over CHW activations with float64
 * sums, no layouts or kernels shared with the GPU path), tensors in reverse topological order, a tensor's memory vector
 * the union over its readers. Besides the tree it reports near-ties: decisions where the runner-up was within float32
 * rounding (1e-6 relative) of the winner, so a GPU that picked the runner-up can be told apart from a GPU that is wrong.
 */
import type { FixationTree, TreeLevel } from '../backtrack/tree.ts';
import { graphOf, type Graph, type GraphNode, type Model } from '../graph/model.ts';
import type { Rule } from '../ops/common/rules.ts';
import { opOf } from '../ops/registry.ts';
import { elementCount } from '../model/shapes.ts';
import type { Activations } from './forward.ts';

export { nearTieTolerance } from '../ops/common/op-definition.ts';

export interface NearTie {
  /** The node whose input the decision selected from. */
  layer: string;
  parent: number;
  /** The children the reference chose, and those a near-equal runner-up would have given. */
  chosen: number[];
  alternatives: number[];
}

export interface ReferenceStep {
  /** The memory vector of the tensor, with back-pointers and in-degrees. */
  below: Omit<TreeLevel, 'childCounts'>;
  /** Per reader's output tensor (by name): the out-degree into this tensor of each of its memory vector's nodes. */
  childCounts: Map<string, Uint32Array>;
  nearTies: NearTie[];
}

/**
 * One tensor of the backtracking: every node of every reader's memory vector (`above`, sorted, by the reader's output
 * tensor) selects nodes of `tensor`; their union, with lowest-(tensor, node) back-pointers, is its memory vector.
 */
export function backtrackTensorReference(model: Model, tensor: string, activations: Activations, above: ReadonlyMap<string, Uint32Array>, rule: Rule): ReferenceStep {
  const graph = graphOf(model);
  const shape = graph.shapes.get(tensor)!;
  const consumers = graph.consumers.get(tensor) ?? [];
  const parentTensors = [...new Set(consumers.map((c) => c.node.output))];
  const size = elementCount(shape);
  const parentCounts = new Uint32Array(size);
  const lowestParent = new Uint32Array(size);
  const lowestTensor = new Uint32Array(size);
  const childCounts = new Map(parentTensors.map((t) => [t, new Uint32Array(above.get(t)?.length ?? 0)]));
  const nearTies: NearTie[] = [];
  // Readers in parent-tensor order, so the first parent recorded is the lowest (tensor, node).
  for (const [parentIndex, parentTensor] of parentTensors.entries()) {
    for (const { node: spec, inputIndex } of consumers.filter((c) => c.node.output === parentTensor)) {
      // Consumers are the model's own nodes, weights included.
      const node = spec as GraphNode;
      const site = siteOf(graph, node, inputIndex, rule);
      const inputs = node.inputs.map((t) => activations.get(t)!);
      const counts = childCounts.get(parentTensor)!;
      (above.get(parentTensor) ?? new Uint32Array()).forEach((parent, t) => {
        const choice = opOf(node).reference.select(node, site, inputs, parent);
        counts[t] += choice.children.length;
        for (const child of choice.children) {
          if (parentCounts[child]++ === 0) [lowestParent[child], lowestTensor[child]] = [parent, parentIndex];
        }
        if (choice.alternatives) nearTies.push({ layer: node.name, parent, chosen: choice.children, alternatives: choice.alternatives });
      });
    }
  }
  const nodes: number[] = [];
  for (let i = 0; i < size; i++) if (parentCounts[i] > 0) nodes.push(i);
  return {
    below: {
      name: tensor,
      shape,
      nodes: Uint32Array.from(nodes),
      parentTensors,
      parentTensor: Uint32Array.from(nodes, (n) => lowestTensor[n]),
      parents: Uint32Array.from(nodes, (n) => lowestParent[n]),
      parentCounts: Uint32Array.from(nodes, (n) => parentCounts[n]),
    },
    childCounts,
    nearTies,
  };
}

function siteOf(graph: Graph, node: Model['nodes'][number], inputIndex: number, rule: Rule) {
  return { rule, inputIndex, inShapes: node.inputs.map((t) => graph.shapes.get(t)!), outShape: graph.shapes.get(node.output)!, wiring: node, graph: graph.view };
}

/** The whole tree from `target` down to the input, levels in the GPU's order (reverse topological, input last). */
export function backtrackReference(model: Model, activations: Activations, target: number, rule: Rule): FixationTree & { nearTies: NearTie[] } {
  const graph = graphOf(model);
  const levels = new Map<string, TreeLevel>();
  levels.set(model.output, {
    name: model.output,
    shape: graph.shapes.get(model.output)!,
    nodes: Uint32Array.of(target),
    parentTensors: [],
    parentTensor: Uint32Array.of(0),
    parents: Uint32Array.of(0),
    parentCounts: Uint32Array.of(0),
    childCounts: new Uint32Array(1),
  });
  const nearTies: NearTie[] = [];
  for (const tensor of [...graph.tensors].reverse().slice(1)) {
    const above = new Map([...new Set((graph.consumers.get(tensor) ?? []).map((c) => c.node.output))].map((t) => [t, levels.get(t)!.nodes]));
    const step = backtrackTensorReference(model, tensor, activations, above, rule);
    for (const [t, counts] of step.childCounts) {
      const level = levels.get(t)!;
      level.childCounts = level.childCounts.map((c, k) => c + counts[k]);
    }
    levels.set(tensor, { ...step.below, childCounts: new Uint32Array(step.below.nodes.length) });
    nearTies.push(...step.nearTies);
  }
  return { target, rule, levels: [...graph.tensors].reverse().map((t) => levels.get(t)!), nearTies };
}
