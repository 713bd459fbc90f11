/**
 * The ONNX importer's intermediate graph: ONNX's own operators, one node per ONNX node that computes something at run
 * time, with ONNX's parameters (pads per side, group, dilations, an activation's alpha). Three steps turn an ONNX graph
 * into our model, each a table of small functions:
 *
 * 1. `onnx-ops.ts` maps each ONNX node onto this graph, or folds it when its inputs are constants (a Reshape's shape
 *    computed from Shape → Gather → Unsqueeze → Concat), or aliases it (Identity, Dropout);
 * 2. `rewrite.ts` folds what our ops take as parameters: Pad into the conv or pool after it, BatchNormalization (and
 *    per-channel Mul/Add) into the conv, dense or per-channel affine before it, Relu/LeakyRelu/Clip into the
 *    conv/dense/add/affine before it;
 * 3. `lower.ts` turns each node into one of our ops, or says which op it still needs.
 */
export type Pads = [top: number, left: number, bottom: number, right: number];

/** ONNX's element-wise activations as they appear, before we know whether one of our ops can take them. */
export type OnnxActivation = { kind: 'relu' } | { kind: 'leaky'; alpha: number } | { kind: 'clip'; min: number; max: number };

export type IrOp =
  | {
      op: 'conv';
      /** [outChannels][inChannels / group][kernelH][kernelW]. */
      weight: Float32Array;
      bias: Float32Array;
      inChannels: number;
      outChannels: number;
      kernel: [number, number];
      strides: [number, number];
      pads: Pads;
      dilations: [number, number];
      group: number;
      activation: OnnxActivation | null;
    }
  | { op: 'dense'; weight: Float32Array; bias: Float32Array; inFeatures: number; outFeatures: number; activation: OnnxActivation | null }
  | { op: 'pool'; type: 'max' | 'avg'; kernel: [number, number]; strides: [number, number]; pads: Pads; ceil: boolean; countIncludePad: boolean; dilations: [number, number] }
  | { op: 'globalAvgPool' }
  | { op: 'add'; activation: OnnxActivation | null }
  | { op: 'activation'; activation: OnnxActivation }
  /**
   * y = scale · x + shift per channel: BatchNormalization, or Mul/Add/Sub/Div by a per-channel constant; then the
   * activation fused into it, if any (our `batchnorm` op).
   */
  | { op: 'affine'; scale: Float32Array; shift: Float32Array; from: string; activation: OnnxActivation | null }
  | { op: 'pad'; pads: Pads; value: number }
  | { op: 'flatten' }
  | { op: 'softmax' }
  | { op: 'concat'; axis: number }
  | { op: 'lrn'; size: number; alpha: number; beta: number; bias: number };

/** Where a node came from: for messages, which name the ONNX node, its op type and its position in the file. */
export interface OnnxSource {
  /** 1-based position among the graph's nodes, as stored. */
  position: number;
  count: number;
  name: string;
  opType: string;
}

export function describeSource(source: OnnxSource): string {
  return `node ${source.position} of ${source.count}${source.name ? ` "${source.name}"` : ''} (${source.opType})`;
}

export interface IrNode {
  op: IrOp;
  inputs: string[];
  output: string;
  source: OnnxSource;
}

export interface IrGraph {
  nodes: IrNode[];
  /** ONNX dims of every tensor computed at run time, batch included (always 1). */
  dims: Map<string, number[]>;
  input: string;
  output: string;
}

/** How many nodes read each tensor; the graph's output counts as one more reader. */
export function readerCounts(graph: IrGraph): Map<string, number> {
  const counts = new Map<string, number>([[graph.output, 1]]);
  for (const node of graph.nodes) for (const t of node.inputs) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/** A node the importer cannot turn into our ops, with the reason; collected so that one error lists them all. */
export class Unsupported extends Error {
  override name = 'Unsupported';
}
