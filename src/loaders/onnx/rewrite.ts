/**
 * Folds of the importer's graph into what our ops take as parameters, each where the node folded into has no other
 * reader (so that no other node sees the changed tensor):
 * - a per-channel affine (BatchNormalization, or Add/Sub/Mul/Div by a per-channel constant) into the conv or dense
 *   before it: w' = w · scale, b' = b · scale + shift; or into the affine before it (a Mul then an Add): one affine;
 * - an activation into the conv, dense, add or affine before it, when our fused activations have it (see `lower.ts`);
 *   what is left is our `batchnorm` (an affine) and `activation` (an activation) op;
 * - a constant Pad into the conv or pool after it (zero before a conv or average pool, −∞ or zero after a ReLU before a
 *   max pool), adding to the window's own pads.
 * Nodes whose output nothing reads (left over from folding) are dropped.
 */
import { readerCounts, type IrGraph, type IrNode, type IrOp } from './ir.ts';
import { fusedActivation } from './lower.ts';

type Of<K extends IrOp['op']> = IrNode & { op: Extract<IrOp, { op: K }> };

function is<K extends IrOp['op']>(node: IrNode | undefined, ...ops: K[]): node is Of<K> {
  return node !== undefined && (ops as string[]).includes(node.op.op);
}

/**
 * Repeatedly merges a node `node` into the producer of its first input when `merge` accepts the pair and the producer's
 * output has no other reader; the producer then writes `node`'s output.
 */
function foldIntoProducer(graph: IrGraph, applies: (node: IrNode) => boolean, merge: (producer: IrNode, node: IrNode) => boolean): void {
  for (;;) {
    const producers = new Map(graph.nodes.map((n) => [n.output, n]));
    const readers = readerCounts(graph);
    const node = graph.nodes.find((n) => {
      if (!applies(n)) return false;
      const producer = producers.get(n.inputs[0]);
      return producer !== undefined && readers.get(producer.output) === 1 && merge(producer, n);
    });
    if (!node) return;
    const producer = producers.get(node.inputs[0])!;
    producer.output = node.output;
    graph.nodes = graph.nodes.filter((n) => n !== node);
  }
}

/**
 * scale · (w x + b) + shift, per output channel of a conv or output of a dense layer; scale₂ · (scale₁ x + shift₁) +
 * shift₂ for two affines.
 */
function foldAffine(producer: IrNode, node: IrNode): boolean {
  if (!is(node, 'affine')) return false;
  if (is(producer, 'affine')) {
    const first = producer.op;
    if (first.activation !== null) return false;
    if (first.scale.length !== node.op.scale.length) return false;
    producer.op = {
      ...first,
      scale: first.scale.map((s, c) => s * node.op.scale[c]),
      shift: first.shift.map((b, c) => b * node.op.scale[c] + node.op.shift[c]),
      from: first.from === node.op.from ? first.from : `${first.from} and ${node.op.from}`,
    };
    return true;
  }
  if (!is(producer, 'conv', 'dense') || producer.op.activation !== null) return false;
  const { weight, bias } = producer.op;
  const { scale, shift } = node.op;
  if (scale.length !== bias.length) return false;
  const perOutput = weight.length / bias.length;
  for (let o = 0; o < bias.length; o++) {
    for (let i = 0; i < perOutput; i++) weight[o * perOutput + i] *= scale[o];
    bias[o] = bias[o] * scale[o] + shift[o];
  }
  return true;
}

function fuseActivation(producer: IrNode, node: IrNode): boolean {
  if (!is(producer, 'conv', 'dense', 'add', 'affine') || !is(node, 'activation') || producer.op.activation !== null) return false;
  if (fusedActivation(node.op.activation) === null) return false;
  producer.op.activation = node.op.activation;
  return true;
}

/** Whether every value of a tensor is ≥ 0: written by a ReLU (fused or not). */
function nonNegative(graph: IrGraph, tensor: string): boolean {
  const producer = graph.nodes.find((n) => n.output === tensor);
  const activation = is(producer, 'conv', 'dense', 'add', 'affine', 'activation') ? producer.op.activation : null;
  return activation !== null && (activation.kind === 'relu' || (activation.kind === 'clip' && activation.min >= 0));
}

/** Whether a Pad can become the pads of the window op that reads it, without changing a single output value. */
function padFolds(graph: IrGraph, pad: Of<'pad'>, reader: IrNode): boolean {
  const { value } = pad.op;
  if (is(reader, 'conv')) return value === 0;
  if (!is(reader, 'pool')) return false;
  // In ceil mode a last window starting in the Pad's zeros is kept, in the pool's own padding dropped: not the same.
  if (reader.op.ceil) return false;
  if (reader.op.type === 'max') return value === -Infinity || (value <= 0 && nonNegative(graph, pad.inputs[0]));
  // Explicit zeros are averaged like any value: the pool must count its own padding too (or have none).
  return value === 0 && (reader.op.countIncludePad || reader.op.pads.every((p) => p === 0));
}

function foldPads(graph: IrGraph): void {
  for (;;) {
    const readers = readerCounts(graph);
    let folded = false;
    for (const pad of graph.nodes) {
      if (!is(pad, 'pad') || readers.get(pad.output) !== 1) continue;
      const reader = graph.nodes.find((n) => n.inputs.includes(pad.output));
      if (!reader || reader.inputs[0] !== pad.output || !padFolds(graph, pad, reader)) continue;
      const window = reader.op as Extract<IrOp, { op: 'conv' | 'pool' }>;
      window.pads = window.pads.map((p, i) => p + pad.op.pads[i]) as typeof window.pads;
      if (window.op === 'pool' && window.type === 'avg') window.countIncludePad = true;
      reader.inputs[0] = pad.inputs[0];
      graph.nodes = graph.nodes.filter((n) => n !== pad);
      folded = true;
      break;
    }
    if (!folded) return;
  }
}

function dropUnread(graph: IrGraph): void {
  for (;;) {
    const readers = readerCounts(graph);
    const kept = graph.nodes.filter((n) => (readers.get(n.output) ?? 0) > 0);
    if (kept.length === graph.nodes.length) return;
    graph.nodes = kept;
  }
}

export function rewriteGraph(graph: IrGraph, options: { dropUnread: boolean }): void {
  if (options.dropUnread) dropUnread(graph);
  foldIntoProducer(graph, (n) => n.op.op === 'affine', foldAffine);
  foldIntoProducer(graph, (n) => n.op.op === 'activation', fuseActivation);
  foldPads(graph);
}
