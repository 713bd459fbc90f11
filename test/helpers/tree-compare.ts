import { expect } from 'vitest';
import type { Rule } from '../../src/backtrack/rules.ts';
import type { FixationTree, TreeLevel } from '../../src/backtrack/tree.ts';
import type { Model } from '../../src/graph/model.ts';
import { backtrackLayerReference, backtrackReference, type NearTie } from '../../src/reference/backtrack.ts';

export interface TreeComparison {
  nearTies: NearTie[];
  /** Near-ties where the GPU took the runner-up: reported, not failures. */
  explainedDifferences: string[];
}

function levelAt(tree: FixationTree, activation: number): TreeLevel {
  const level = tree.levels.find((l) => l.activation === activation);
  if (!level) throw new Error(`the tree has no level for activation ${activation}`);
  return level;
}

/**
 * Checks a GPU fixation tree against the CPU reference on the same activations, layer by layer: the reference takes
 * the GPU's memory vector above each layer and must produce the GPU's memory vector below, back-pointers and edge counts
 * included. A difference passes only when the reference found a near-tie that accounts for exactly those nodes. When no
 * near-tie occurred anywhere, the reference's own tree from the target must equal the GPU's as a whole.
 */
export function expectTreeMatchesReference(model: Model, activations: Float32Array[], gpu: FixationTree, rule: Rule, what: string): TreeComparison {
  const nearTies: NearTie[] = [];
  const explainedDifferences: string[] = [];
  expect(gpu.levels.map((l) => l.activation), `${what}: levels`).toEqual(Array.from({ length: model.layers.length + 1 }, (_, i) => model.layers.length - i));
  for (let index = model.layers.length - 1; index >= 0; index--) {
    const above = levelAt(gpu, index + 1);
    const below = levelAt(gpu, index);
    const step = backtrackLayerReference(model, index, activations[index], above.nodes, rule);
    nearTies.push(...step.nearTies);
    const doubtful = new Set(step.nearTies.flatMap((t) => [...t.chosen, ...t.alternatives]));
    const doubtfulParents = new Set(step.nearTies.map((t) => t.parent));
    const where = `${what}, layer ${model.layers[index].name}`;
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
      if (below.parents[k] !== step.below.parents[r] || below.parentCounts[k] !== step.below.parentCounts[r]) {
        expect.fail(`${where}: node ${node} has parent ${below.parents[k]} ×${below.parentCounts[k]} on the GPU, ${step.below.parents[r]} ×${step.below.parentCounts[r]} in the reference`);
      }
    }
    above.nodes.forEach((node, t) => {
      if (!doubtfulParents.has(node) && above.childCounts[t] !== step.childCounts[t]) {
        expect.fail(`${where}: node ${node} selected ${above.childCounts[t]} children on the GPU, ${step.childCounts[t]} in the reference`);
      }
    });
  }
  if (nearTies.length === 0) {
    const reference = backtrackReference(model, activations, gpu.target, rule);
    reference.levels.forEach((level, i) => {
      expect(Array.from(gpu.levels[i].nodes), `${what}: whole tree, ${level.name}`).toEqual(Array.from(level.nodes));
      expect(Array.from(gpu.levels[i].parents), `${what}: whole tree, ${level.name} parents`).toEqual(Array.from(level.parents));
    });
  }
  return { nearTies, explainedDifferences };
}
