import type { Consumer, Graph, Model } from '../graph/model.ts';
import { opOf } from '../ops/registry.ts';
import { elementCount, type TensorShape } from '../model/shapes.ts';

/** How the backtracking treats one tensor: who selects its nodes, and where its memory vector lives. */
export interface TensorPlan {
  tensor: string;
  shape: TensorShape;
  /** The nodes that read this tensor, in node order: each selects nodes of it from its own output's memory vector. */
  consumers: Consumer[];
  /** The consumers' output tensors, distinct, in node order: a node's parent is (parentTensors[k], node id). */
  parentTensors: string[];
  /** Bits of a recorded parent that hold the node id; the bits above say which parent tensor (see parentKey). */
  nodeBits: number;
  /** The tensor above whose memory vector this one is, when its only reader maps every node to itself (flatten). */
  sharesWith: string | null;
  /** The most nodes its memory vector can hold, under either rule (hysm never selects fewer than official). */
  capacity: number;
  /** Which memory vector buffer holds it. */
  vector: number;
}

export interface BacktrackPlan {
  /** From the output (the class) down to the input, in reverse topological order. */
  levels: TensorPlan[];
  byTensor: ReadonlyMap<string, TensorPlan>;
  /** Capacity of each memory vector buffer. */
  vectorCapacities: number[];
  /** The largest tensor that is compacted into a memory vector of its own: the selection scratch's size. */
  scratchNodes: number;
}

function bitsFor(values: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(2, values))));
}

/** A parent as the GPU records it: the parent tensor's index in the bits above `nodeBits`, the node id below. */
export function parentKey(plan: Pick<TensorPlan, 'nodeBits' | 'parentTensors'>, parentIndex: number, node: number): number {
  return plan.parentTensors.length > 1 ? parentIndex * 2 ** plan.nodeBits + node : node;
}

export function splitParentKey(plan: Pick<TensorPlan, 'nodeBits' | 'parentTensors'>, key: number): { parentIndex: number; node: number } {
  if (plan.parentTensors.length <= 1) return { parentIndex: 0, node: key };
  return { parentIndex: Math.floor(key / 2 ** plan.nodeBits), node: key % 2 ** plan.nodeBits };
}

/**
 * Plans the backtracking over a model's graph: the levels in reverse topological order (a tensor comes after every
 * tensor its readers write, so its memory vector is the union of complete selections), the memory vectors' sizes, and
 * which tensors can share the vector above.
 */
export function planBacktracking(model: Model, graph: Graph): BacktrackPlan {
  const levels: TensorPlan[] = [];
  const byTensor = new Map<string, TensorPlan>();
  const vectorCapacities: number[] = [];
  let scratchNodes = 1;
  for (const tensor of [...graph.tensors].reverse()) {
    const shape = graph.shapes.get(tensor)!;
    const consumers = graph.consumers.get(tensor) ?? [];
    const parentTensors = [...new Set(consumers.map((c) => c.node.output))];
    const nodeBits = bitsFor(Math.max(...parentTensors.map((t) => elementCount(graph.shapes.get(t)!))));
    if (parentTensors.length > 1 && nodeBits + bitsFor(parentTensors.length) > 32) {
      throw new Error(`${model.name}: tensor "${tensor}" has too many readers of too large tensors to record its parents in 32 bits`);
    }
    const only = consumers.length === 1 ? consumers[0].node : null;
    const sharesWith = only && only.inputs.length === 1 && opOf(only).sameNode ? only.output : null;
    let capacity: number;
    let vector: number;
    if (tensor === model.output) {
      capacity = 1;
      vector = vectorCapacities.push(1) - 1;
    } else if (sharesWith) {
      const above = byTensor.get(sharesWith)!;
      capacity = above.capacity;
      vector = above.vector;
    } else {
      const reachable = consumers.reduce((sum, { node, inputIndex }) => {
        const inShapes = node.inputs.map((t) => graph.shapes.get(t)!);
        return sum + byTensor.get(node.output)!.capacity * opOf(node).fanOut(node, inputIndex, inShapes, graph.shapes.get(node.output)!);
      }, 0);
      capacity = Math.max(1, Math.min(elementCount(shape), reachable));
      vector = vectorCapacities.push(capacity) - 1;
      scratchNodes = Math.max(scratchNodes, elementCount(shape));
    }
    const plan = { tensor, shape, consumers, parentTensors, nodeBits, sharesWith, capacity, vector };
    levels.push(plan);
    byTensor.set(tensor, plan);
  }
  return { levels, byTensor, vectorCapacities, scratchNodes };
}
