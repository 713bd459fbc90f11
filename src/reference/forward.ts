/**
 * The CPU reference forward pass: each node's op reference (plain loops over CHW tensors with float64 accumulation,
 * in `src/ops/<op>/`), in topological order. It is the oracle for every GPU test, so it shares no arithmetic with the
 * GPU path (no layouts, no tiling, no kernels).
 */
import { graphOf, inputTensor, type Model } from '../graph/model.ts';
import { opOf } from '../ops/registry.ts';
import { elementCount } from '../model/shapes.ts';

/** Every tensor by name, CHW: the input and each node's output. */
export type Activations = ReadonlyMap<string, Float32Array>;

export function forwardReference(model: Model, input: Float32Array): Map<string, Float32Array> {
  const graph = graphOf(model);
  const inputShape = graph.shapes.get(inputTensor)!;
  if (input.length !== elementCount(inputShape)) {
    throw new Error(`input has ${input.length} values, the model needs ${elementCount(inputShape)}`);
  }
  const activations = new Map([[inputTensor, input]]);
  for (const node of model.nodes) {
    const inputs = node.inputs.map((t) => activations.get(t)!);
    const inShapes = node.inputs.map((t) => graph.shapes.get(t)!);
    activations.set(node.output, opOf(node).reference.forward(node, inputs, inShapes, graph.shapes.get(node.output)!));
  }
  return activations;
}
