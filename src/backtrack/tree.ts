import type { TensorShape } from '../model/shapes.ts';
import type { Rule } from './rules.ts';

/**
 * One memory vector of the fixation tree: the nodes of one activation that the backtracking reached, as CHW flat
 * indices in increasing order, each with one parent (the lowest node of the level above that selected it, Viterbi-style
 * back-pointers) and its full edge counts.
 */
export interface TreeLevel {
  /** The layer whose output this activation is, or `input`. */
  name: string;
  /** Index into the model's activations: 0 is the input, i + 1 the output of layer i. */
  activation: number;
  shape: TensorShape;
  nodes: Uint32Array;
  /** Node id (in the level above) of the lowest parent that selected each node; the top level has none (all 0). */
  parents: Uint32Array;
  /** How many nodes of the level above selected each node. */
  parentCounts: Uint32Array;
  /** How many nodes of the level below each node selected. */
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

/** A node id as (channel, y, x). */
export function nodeCoordinates(node: number, shape: TensorShape): { channel: number; y: number; x: number } {
  const plane = shape.height * shape.width;
  return { channel: Math.floor(node / plane), y: Math.floor((node % plane) / shape.width), x: node % shape.width };
}
