/**
 * The GPU gradient's plan: which tensors between the scores and the requested layers get a gradient buffer, the steps
 * in reverse topological order (graph/gradient-path.ts, shared with the CPU reference), and the forward's
 * activations those steps read, which the GpuModel must have kept.
 */
import { gradientKeeps, gradientPath, type GradientPath } from '../graph/gradient-path.ts';
import type { Model } from '../graph/model.ts';
import { opOf } from '../ops/registry.ts';

export { gradientKeeps };

export interface GradientPlan extends GradientPath {
  layers: string[];
  /** Activations the steps read. */
  reads: Set<string>;
}

export function planGradient(model: Model, layers: readonly string[]): GradientPlan {
  const path = gradientPath(model, layers);
  const reads = new Set<string>();
  for (const { node, inputIndex } of path.steps) {
    const r = opOf(node).gradient.reads(node as never, inputIndex);
    r.inputs.forEach((i) => reads.add(node.inputs[i]));
    if (r.output) reads.add(node.output);
  }
  return { ...path, layers: [...layers], reads };
}
