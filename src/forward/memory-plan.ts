import { gpuTensorBytes } from '../gpu/tensor.ts';
import { inputTensor, type Graph, type Model } from '../graph/model.ts';
import { opOf } from '../ops/registry.ts';

/** Which buffer holds each tensor during the forward pass. */
export interface TensorMemoryPlan {
  /** Tensors whose values stay readable after the pass: the input, the output, what the backtracking reads, `keep`. */
  kept: ReadonlySet<string>;
  /** Bytes of each buffer (for all images of a batch). */
  slots: number[];
  slotOf: ReadonlyMap<string, number>;
  /** Bytes of all buffers together: the peak of the forward pass's activations. */
  peakBytes: number;
}

/**
 * Kept tensors get a buffer of their own. Every other tensor (read only by ops whose backtracking needs no
 * activations, such as the logits before a softmax) takes a free buffer once every reader of the tensor that last held
 * it has run, or a new one: nodes run one after another, so a buffer is never read and written by two live tensors.
 * Without `forBacktracking` (a model that is only scored) the backtracking's tensors are not kept either.
 */
export function planTensorMemory(model: Model, graph: Graph, keep: readonly string[], batch = 1, forBacktracking = true): TensorMemoryPlan {
  const kept = new Set<string>([inputTensor, model.output, ...keep.filter((t) => graph.shapes.has(t))]);
  for (const node of forBacktracking ? model.nodes : []) {
    if (!opOf(node).sameNode) node.inputs.forEach((t) => kept.add(t));
  }
  const lastRead = new Map<string, number>();
  model.nodes.forEach((node, i) => node.inputs.forEach((t) => lastRead.set(t, i)));
  const slots: number[] = [];
  const slotOf = new Map<string, number>();
  const free: number[] = [];
  const held = new Map<number, string>();
  const place = (tensor: string, bytes: number, shared: boolean) => {
    let slot = -1;
    if (shared) {
      // The smallest free buffer that fits, else the largest free one (grown), else a new one.
      const fitting = free.filter((s) => slots[s] >= bytes).sort((a, b) => slots[a] - slots[b]);
      slot = fitting[0] ?? free.sort((a, b) => slots[b] - slots[a])[0] ?? -1;
      if (slot >= 0) free.splice(free.indexOf(slot), 1);
    }
    if (slot < 0) {
      slot = slots.length;
      slots.push(0);
    }
    slots[slot] = Math.max(slots[slot], bytes);
    slotOf.set(tensor, slot);
    if (shared) held.set(slot, tensor);
  };
  place(inputTensor, gpuTensorBytes(graph.shapes.get(inputTensor)!) * batch, false);
  model.nodes.forEach((node, i) => {
    place(node.output, gpuTensorBytes(graph.shapes.get(node.output)!) * batch, !kept.has(node.output));
    for (const [slot, tensor] of held) {
      if ((lastRead.get(tensor) ?? -1) <= i && tensor !== node.output) {
        held.delete(slot);
        free.push(slot);
      }
    }
  });
  return { kept, slots, slotOf, peakBytes: slots.reduce((a, b) => a + b, 0) };
}
