/**
 * CPU reference of the backtracking: plain loops over CHW activations with float64 sums, no layouts or kernels shared
 * with the GPU path. Besides the tree it reports near-ties: decisions where the runner-up was within float32 rounding
 * (1e-6 relative) of the winner, so a GPU that picked the runner-up can be told apart from a GPU that is wrong.
 */
import { selectionFor, windowCentre, type Rule, type Selection } from '../backtrack/rules.ts';
import type { FixationTree, TreeLevel } from '../backtrack/tree.ts';
import type { Conv2dLayer, DenseLayer, MaxPoolSpec } from '../model/layers.ts';
import type { Model } from '../graph/model.ts';
import { activationShapes, elementCount, type TensorShape } from '../model/shapes.ts';

export const nearTieTolerance = 1e-6;

export interface NearTie {
  /** The layer whose input the decision selected from. */
  layer: string;
  parent: number;
  /** The children the reference chose, and those a near-equal runner-up would have given. */
  chosen: number[];
  alternatives: number[];
}

interface Choice {
  children: number[];
  alternatives: number[] | null;
}

function nodeOf(channel: number, y: number, x: number, shape: TensorShape): number {
  return (channel * shape.height + y) * shape.width + x;
}

function selectConv(layer: Conv2dLayer, below: Float32Array, inShape: TensorShape, outShape: TensorShape, node: number, centre: boolean): Choice {
  const { kernel: k, stride, padding, inChannels } = layer;
  const plane = outShape.height * outShape.width;
  const oc = Math.floor(node / plane);
  const oy = Math.floor((node % plane) / outShape.width);
  const ox = node % outShape.width;
  const sums = new Float64Array(inChannels);
  const magnitudes = new Float64Array(inChannels);
  const inside = (iy: number, ix: number) => iy >= 0 && ix >= 0 && iy < inShape.height && ix < inShape.width;
  const product = (ic: number, ky: number, kx: number) => {
    const iy = oy * stride - padding + ky;
    const ix = ox * stride - padding + kx;
    return layer.weight[((oc * inChannels + ic) * k + ky) * k + kx] * below[(ic * inShape.height + iy) * inShape.width + ix];
  };
  for (let ic = 0; ic < inChannels; ic++) {
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        if (!inside(oy * stride - padding + ky, ox * stride - padding + kx)) continue;
        const p = product(ic, ky, kx);
        sums[ic] += p;
        magnitudes[ic] += Math.abs(p);
      }
    }
  }
  let best = 0;
  for (let ic = 1; ic < inChannels; ic++) if (sums[ic] > sums[best]) best = ic;
  const tiedChannels: number[] = [];
  for (let ic = 0; ic < inChannels; ic++) {
    const scale = Math.max(magnitudes[ic], magnitudes[best]);
    if (ic !== best && sums[best] - sums[ic] <= nearTieTolerance * scale) tiedChannels.push(ic);
  }

  const positionIn = (channel: number): { child: number; tied: number[] } => {
    if (centre) {
      const y = windowCentre(oy, k, stride, padding, inShape.height);
      const x = windowCentre(ox, k, stride, padding, inShape.width);
      return { child: nodeOf(channel, y, x, inShape), tied: [] };
    }
    let bestP = -Infinity;
    let bestY = 0;
    let bestX = 0;
    const candidates: [number, number, number][] = [];
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        const iy = oy * stride - padding + ky;
        const ix = ox * stride - padding + kx;
        if (!inside(iy, ix)) continue;
        const p = product(channel, ky, kx);
        candidates.push([p, iy, ix]);
        if (p > bestP) [bestP, bestY, bestX] = [p, iy, ix];
      }
    }
    const tied = candidates
      .filter(([p, iy, ix]) => (iy !== bestY || ix !== bestX) && bestP - p <= nearTieTolerance * Math.abs(bestP))
      .map(([, iy, ix]) => nodeOf(channel, iy, ix, inShape));
    return { child: nodeOf(channel, bestY, bestX, inShape), tied };
  };

  const chosen = positionIn(best);
  const alternatives = [...chosen.tied, ...tiedChannels.flatMap((c) => [positionIn(c).child, ...positionIn(c).tied])];
  return { children: [chosen.child], alternatives: alternatives.length > 0 ? alternatives : null };
}

function selectDense(layer: DenseLayer, below: Float32Array, node: number, topOnly: boolean): Choice {
  const row = node * layer.inFeatures;
  if (topOnly) {
    let best = 0;
    let bestP = -Infinity;
    for (let i = 0; i < layer.inFeatures; i++) {
      const p = layer.weight[row + i] * below[i];
      if (p > bestP) [best, bestP] = [i, p];
    }
    const tied: number[] = [];
    for (let i = 0; i < layer.inFeatures; i++) {
      const p = layer.weight[row + i] * below[i];
      if (i !== best && bestP - p <= nearTieTolerance * Math.abs(bestP)) tied.push(i);
    }
    return { children: [best], alternatives: tied.length > 0 ? tied : null };
  }
  const children: number[] = [];
  const doubtful: number[] = [];
  for (let i = 0; i < layer.inFeatures; i++) {
    const p = layer.weight[row + i] * below[i];
    if (p > 0) children.push(i);
    // Products too small for float32 may round to 0 on the GPU.
    if (p !== 0 && Math.abs(p) < 1e-30) doubtful.push(i);
  }
  return { children, alternatives: doubtful.length > 0 ? doubtful : null };
}

function selectMaxPool(layer: MaxPoolSpec, below: Float32Array, inShape: TensorShape, outShape: TensorShape, node: number): Choice {
  const plane = outShape.height * outShape.width;
  const c = Math.floor(node / plane);
  const oy = Math.floor((node % plane) / outShape.width);
  const ox = node % outShape.width;
  let best = -1;
  let bestValue = -Infinity;
  for (let dy = 0; dy < layer.size; dy++) {
    for (let dx = 0; dx < layer.size; dx++) {
      const child = nodeOf(c, oy * layer.stride + dy, ox * layer.stride + dx, inShape);
      if (best < 0 || below[child] > bestValue) [best, bestValue] = [child, below[child]];
    }
  }
  return { children: [best], alternatives: null };
}

function selectGlobalAvgPool(below: Float32Array, inShape: TensorShape, node: number, argmaxOnly: boolean): Choice {
  const plane = inShape.height * inShape.width;
  const first = node * plane;
  if (argmaxOnly) {
    let best = first;
    for (let i = first + 1; i < first + plane; i++) if (below[i] > below[best]) best = i;
    return { children: [best], alternatives: null };
  }
  const children: number[] = [];
  for (let i = first; i < first + plane; i++) if (below[i] > 0) children.push(i);
  return { children, alternatives: null };
}

function choose(selection: Selection, model: Model, index: number, below: Float32Array, shapes: TensorShape[], node: number): Choice {
  const layer = model.layers[index];
  switch (selection.kind) {
    case 'identity':
      return { children: [node], alternatives: null };
    case 'dense':
      return selectDense(layer as DenseLayer, below, node, selection.topOnly);
    case 'conv2d':
      return selectConv(layer as Conv2dLayer, below, shapes[index], shapes[index + 1], node, selection.centre);
    case 'maxpool':
      return selectMaxPool(layer as MaxPoolSpec, below, shapes[index], shapes[index + 1], node);
    case 'globalAvgPool':
      return selectGlobalAvgPool(below, shapes[index], node, selection.argmaxOnly);
  }
}

export interface ReferenceStep {
  /** The memory vector below, with back-pointers and in-degrees. */
  below: Omit<TreeLevel, 'childCounts'>;
  /** Out-degree of each node of the memory vector above, in its order. */
  childCounts: Uint32Array;
  nearTies: NearTie[];
}

/**
 * One layer of the backtracking: every node of `above` (a sorted memory vector of layer `index`'s output) selects
 * nodes of the layer's input `below`; their union, with lowest-parent back-pointers, is the next memory vector.
 */
export function backtrackLayerReference(model: Model, index: number, below: Float32Array, above: Uint32Array, rule: Rule): ReferenceStep {
  const shapes = activationShapes(model.input, model.layers);
  const selection = selectionFor(model.layers, index, shapes, rule);
  const size = elementCount(shapes[index]);
  const parentCounts = new Uint32Array(size);
  const lowestParent = new Uint32Array(size);
  const childCounts = new Uint32Array(above.length);
  const nearTies: NearTie[] = [];
  above.forEach((node, t) => {
    const choice = choose(selection, model, index, below, shapes, node);
    childCounts[t] = choice.children.length;
    for (const child of choice.children) {
      if (parentCounts[child]++ === 0) lowestParent[child] = node;
    }
    if (choice.alternatives) {
      nearTies.push({ layer: model.layers[index].name, parent: node, chosen: choice.children, alternatives: choice.alternatives });
    }
  });
  const nodes: number[] = [];
  for (let i = 0; i < size; i++) if (parentCounts[i] > 0) nodes.push(i);
  return {
    below: {
      name: index === 0 ? 'input' : model.layers[index - 1].name,
      activation: index,
      shape: shapes[index],
      nodes: Uint32Array.from(nodes),
      parents: Uint32Array.from(nodes, (n) => lowestParent[n]),
      parentCounts: Uint32Array.from(nodes, (n) => parentCounts[n]),
    },
    childCounts,
    nearTies,
  };
}

/** The whole tree from `target` down to the input, on the given activations (index 0 input, i + 1 layer i's output). */
export function backtrackReference(model: Model, activations: Float32Array[], target: number, rule: Rule): FixationTree & { nearTies: NearTie[] } {
  const shapes = activationShapes(model.input, model.layers);
  const top = model.layers.length;
  const levels: TreeLevel[] = [
    {
      name: model.layers[top - 1].name,
      activation: top,
      shape: shapes[top],
      nodes: Uint32Array.of(target),
      parents: Uint32Array.of(0),
      parentCounts: Uint32Array.of(0),
      childCounts: new Uint32Array(1),
    },
  ];
  const nearTies: NearTie[] = [];
  for (let index = top - 1; index >= 0; index--) {
    const above = levels[levels.length - 1];
    const step = backtrackLayerReference(model, index, activations[index], above.nodes, rule);
    above.childCounts = step.childCounts;
    levels.push({ ...step.below, childCounts: new Uint32Array(step.below.nodes.length) });
    nearTies.push(...step.nearTies);
  }
  return { target, rule, levels, nearTies };
}
