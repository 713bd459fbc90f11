/**
 * Which part of a graph a gradient flows through: from the score tensor (the logits) back to requested tensors. Shared
 * by the CPU reference (reference/gradient.ts) and the GPU executor (gradient/), so both run the same steps.
 */
import { opOf } from '../ops/registry.ts';
import { graphOf, type ArchitectureNode, type Model } from './model.ts';

/** The tensor whose entry `target` is differentiated: the softmax's input when the model ends in softmax, else the output. */
export function scoreTensor(model: Pick<Model, 'nodes' | 'output'>): string {
  const last = model.nodes.find((n) => n.output === model.output);
  return last?.kind === 'softmax' ? last.inputs[0] : model.output;
}

/** One node's backward for one of its inputs: d score / d `node.inputs[inputIndex]` from d score / d `node.output`. */
export interface GradientStep {
  node: ArchitectureNode;
  inputIndex: number;
  /** Whether an earlier step wrote this input's gradient already (its other consumers): this one adds to it. */
  accumulate: boolean;
}

export interface GradientPath {
  score: string;
  /** Tensors that get a gradient: between the requested ones and the score, both included. */
  tensors: Set<string>;
  /** In reverse topological order: a tensor's every contribution comes before any step that reads its gradient. */
  steps: GradientStep[];
}

/**
 * The tensors between `layers` and the score (descendants of a requested tensor that lead to the score) and the steps
 * that carry the gradient there. Contributions to one tensor come in a fixed order (its consumers last node first,
 * inputs in order), so sums are deterministic. Throws when a requested tensor does not exist or does not lead to the score.
 */
export function gradientPath(model: Model, layers: readonly string[]): GradientPath {
  const graph = graphOf(model);
  const score = scoreTensor(model);
  for (const layer of layers) {
    if (!graph.shapes.has(layer)) throw new Error(`${model.name} has no tensor "${layer}"`);
  }
  const leadsToScore = new Set([score]);
  for (let i = model.nodes.length - 1; i >= 0; i--) {
    const node = model.nodes[i];
    if (leadsToScore.has(node.output)) node.inputs.forEach((t) => leadsToScore.add(t));
  }
  const below = new Set(layers);
  for (const node of model.nodes) if (node.inputs.some((t) => below.has(t))) below.add(node.output);
  for (const layer of layers) {
    if (!leadsToScore.has(layer)) throw new Error(`${model.name}: tensor "${layer}" does not lead to the scores "${score}", so it has no gradient`);
  }
  const tensors = new Set([...below].filter((t) => leadsToScore.has(t)));
  const written = new Set<string>();
  const steps: GradientStep[] = [];
  for (let i = model.nodes.length - 1; i >= 0; i--) {
    const node = model.nodes[i];
    if (!tensors.has(node.output)) continue;
    node.inputs.forEach((tensor, inputIndex) => {
      if (!tensors.has(tensor)) return;
      steps.push({ node, inputIndex, accumulate: written.has(tensor) });
      written.add(tensor);
    });
  }
  return { score, tensors, steps };
}

/**
 * The tensors a backward from the score to `layer` reads from the forward pass: what each step's op reads, and `layer`
 * itself (Grad-CAM weighs its activations). The forward must keep them (GpuModelOptions.keep).
 */
export function gradientKeeps(model: Model, layer: string): string[] {
  const keeps = new Set([layer]);
  for (const { node, inputIndex } of gradientPath(model, [layer]).steps) {
    const reads = opOf(node).gradient.reads(node as never, inputIndex);
    reads.inputs.forEach((i) => keeps.add(node.inputs[i]));
    if (reads.output) keeps.add(node.output);
  }
  return [...keeps];
}
