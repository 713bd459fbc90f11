import { expect } from 'vitest';
import type { Rule } from '../../src/ops/common/rules.ts';
import type { FixationTree, TreeLevel } from '../../src/backtrack/tree.ts';
import { graphOf, type Model } from '../../src/graph/model.ts';
import { backtrackReference, backtrackTensorReference, type NearTie } from '../../src/reference/backtrack.ts';
import type { Activations } from '../../src/reference/forward.ts';

export interface TreeComparison {
  nearTies: NearTie[];
  /** Near-ties where the GPU took the runner-up: reported, not failures. */
  explainedDifferences: string[];
}

function levelOf(tree: FixationTree, tensor: string): TreeLevel {
  const level = tree.levels.find((l) => l.name === tensor);
  if (!level) throw new Error(`the tree has no level for tensor ${tensor}`);
  return level;
}

/**
 * Checks a GPU fixation tree against the CPU reference on the same activations, tensor by tensor: the reference takes
 * the GPU's memory vectors of the tensor's readers and must produce the GPU's memory vector of the tensor, back-pointers
 * and edge counts included. A difference passes only when the reference found a near-tie that accounts for exactly
 * those nodes. When no near-tie occurred anywhere, the reference's own tree from the target must equal the GPU's.
 */
export function expectTreeMatchesReference(model: Model, activations: Activations, gpu: FixationTree, rule: Rule, what: string): TreeComparison {
  const graph = graphOf(model);
  const nearTies: NearTie[] = [];
  const explainedDifferences: string[] = [];
  expect(gpu.levels.map((l) => l.name), `${what}: levels`).toEqual([...graph.tensors].reverse());
  const childCounts = new Map(gpu.levels.map((l) => [l.name, new Uint32Array(l.nodes.length)]));
  const doubtfulAbove = new Map<string, Set<number>>();
  for (const tensor of [...graph.tensors].reverse().slice(1)) {
    const below = levelOf(gpu, tensor);
    const readers = [...new Set(graph.consumers.get(tensor)!.map((c) => c.node.output))];
    const step = backtrackTensorReference(model, tensor, activations, new Map(readers.map((t) => [t, levelOf(gpu, t).nodes])), rule);
    nearTies.push(...step.nearTies);
    for (const [t, counts] of step.childCounts) counts.forEach((c, k) => (childCounts.get(t)![k] += c));
    const doubtful = new Set(step.nearTies.flatMap((t) => [...t.chosen, ...t.alternatives]));
    for (const tie of step.nearTies) {
      const reader = graph.consumers.get(tensor)!.find((c) => c.node.name === tie.layer)!.node.output;
      if (!doubtfulAbove.has(reader)) doubtfulAbove.set(reader, new Set());
      doubtfulAbove.get(reader)!.add(tie.parent);
    }
    const where = `${what}, tensor ${tensor}`;
    expect(below.parentTensors, `${where}: parent tensors`).toEqual(step.below.parentTensors);
    const gpuNodes = new Map(Array.from(below.nodes, (n, k) => [n, k]));
    const refNodes = new Map(Array.from(step.below.nodes, (n, k) => [n, k]));
    const differing = [...gpuNodes.keys()].filter((n) => !refNodes.has(n)).concat([...refNodes.keys()].filter((n) => !gpuNodes.has(n)));
    const unexplained = differing.filter((n) => !doubtful.has(n));
    if (unexplained.length > 0) {
      expect.fail(`${where}: nodes ${unexplained.slice(0, 10).join(', ')} differ between GPU and reference with no near-tie to explain them`);
    }
    if (differing.length > 0) explainedDifferences.push(`${where}: near-tie, GPU and reference differ on nodes ${differing.join(', ')}`);
    expect(Array.from(below.nodes), `${where}: memory vector is sorted`).toEqual(Array.from(below.nodes).sort((a, b) => a - b));
    for (const [node, k] of gpuNodes) {
      const r = refNodes.get(node);
      if (r === undefined || doubtful.has(node)) continue;
      const gpuParent = `${below.parentTensor[k]}:${below.parents[k]} ×${below.parentCounts[k]}`;
      const refParent = `${step.below.parentTensor[r]}:${step.below.parents[r]} ×${step.below.parentCounts[r]}`;
      if (gpuParent !== refParent) expect.fail(`${where}: node ${node} has parent ${gpuParent} on the GPU, ${refParent} in the reference`);
    }
  }
  for (const level of gpu.levels) {
    const doubtful = doubtfulAbove.get(level.name);
    level.nodes.forEach((node, t) => {
      if (!doubtful?.has(node) && level.childCounts[t] !== childCounts.get(level.name)![t]) {
        expect.fail(`${what}, tensor ${level.name}: node ${node} selected ${level.childCounts[t]} children on the GPU, ${childCounts.get(level.name)![t]} in the reference`);
      }
    });
  }
  if (nearTies.length === 0) {
    const reference = backtrackReference(model, activations, gpu.target, rule);
    reference.levels.forEach((level, i) => {
      expect(Array.from(gpu.levels[i].nodes), `${what}: whole tree, ${level.name}`).toEqual(Array.from(level.nodes));
      expect(Array.from(gpu.levels[i].parents), `${what}: whole tree, ${level.name} parents`).toEqual(Array.from(level.parents));
      expect(Array.from(gpu.levels[i].parentTensor), `${what}: whole tree, ${level.name} parent tensors`).toEqual(Array.from(level.parentTensor));
    });
  }
  return { nearTies, explainedDifferences };
}
