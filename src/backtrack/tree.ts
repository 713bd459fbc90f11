import type { TensorShape } from '../model/shapes.ts';
import type { Rule } from '../ops/common/rules.ts';

/**
 * One memory vector of the fixation tree: the nodes of one tensor that the backtracking reached, as CHW flat indices in
 * increasing order, each with one parent (the lowest (tensor, node) among the nodes of the tensors above that selected
 * it, Viterbi-style back-pointers) and its full edge counts over every reader of the tensor.
 */
export interface TreeLevel {
  /** The tensor: the name of the node that writes it, or `input`. */
  name: string;
  shape: TensorShape;
  nodes: Uint32Array;
  /** The tensors whose nodes select this one's (its readers' outputs), in graph order; none for the class's level. */
  parentTensors: string[];
  /** Per node, which of `parentTensors` its lowest parent is in. */
  parentTensor: Uint32Array;
  /** Node id (in that tensor) of the lowest parent that selected each node; the top level has none (all 0). */
  parents: Uint32Array;
  /** How many nodes of the tensors above selected each node. */
  parentCounts: Uint32Array;
  /** How many nodes of the tensors below each node selected. */
  childCounts: Uint32Array;
}

export interface FixationTree {
  target: number;
  rule: Rule;
  /** From the class at the top (index 0) down to the input (last). */
  levels: TreeLevel[];
}

/** (x, y) in model-input pixels, sorted by y then x, without duplicates: the input level's nodes without channels. */
export function fixationPoints(input: TreeLevel): [number, number][] {
  const { height, width } = input.shape;
  const plane = height * width;
  const seen = new Uint8Array(plane);
  for (const node of input.nodes) seen[node % plane] = 1;
  const points: [number, number][] = [];
  for (let p = 0; p < plane; p++) if (seen[p]) points.push([p % width, Math.floor(p / width)]);
  return points;
}

export { coordinatesOf as nodeCoordinates } from '../ops/common/window.ts';
