/**
 * The CPU reference backward: d logit[target] / d tensor for requested tensors, from the forward reference's
 * activations, each node's op gradient reference (float64, in `src/ops/<op>/gradient.ts`) in reverse topological
 * order, a tensor's consumers summed. It is the oracle of the GPU gradient (src/gradient/), sharing no arithmetic with it.
 */
import { gradientPath } from '../graph/gradient-path.ts';
import { graphOf, type Model } from '../graph/model.ts';
import { elementCount } from '../model/shapes.ts';
import { opOf } from '../ops/registry.ts';
import type { Activations } from './forward.ts';

const unread = new Float32Array(0);

/** `activations` must hold at least what the steps read (gradientKeeps); all of forwardReference's will do. */
export function gradientReference(model: Model, activations: Activations, target: number, tensors: readonly string[]): Map<string, Float64Array> {
  const graph = graphOf(model);
  const path = gradientPath(model, tensors);
  const scores = graph.shapes.get(path.score)!.channels;
  if (!Number.isInteger(target) || target < 0 || target >= scores) throw new RangeError(`class ${target} is not one of the model's ${scores} classes`);
  const gradients = new Map<string, Float64Array>();
  const seed = new Float64Array(scores);
  seed[target] = 1;
  gradients.set(path.score, seed);
  const activation = (tensor: string) => {
    const values = activations.get(tensor);
    if (!values) throw new Error(`the gradient reference needs the activations of "${tensor}"`);
    return values;
  };
  for (const { node, inputIndex } of path.steps) {
    const tensor = node.inputs[inputIndex];
    const inShapes = node.inputs.map((t) => graph.shapes.get(t)!);
    const { gradient } = opOf(node);
    // Only what the op's backward reads must be there (the GPU forward keeps no more: gradientKeeps).
    const reads = gradient.reads(node as never, inputIndex);
    const contribution = gradient.reference.input(
      node as never,
      inputIndex,
      gradients.get(node.output)!,
      node.inputs.map((t, i) => (reads.inputs.includes(i) ? activation(t) : unread)),
      reads.output ? activation(node.output) : unread,
      inShapes,
      graph.shapes.get(node.output)!,
    );
    if (contribution.length !== elementCount(inShapes[inputIndex])) throw new Error(`${node.name}: gradient of input ${inputIndex} has the wrong size`);
    const sum = gradients.get(tensor);
    if (sum) for (let i = 0; i < sum.length; i++) sum[i] += contribution[i];
    else gradients.set(tensor, Float64Array.from(contribution));
  }
  return new Map(tensors.map((t) => [t, gradients.get(t)!]));
}
