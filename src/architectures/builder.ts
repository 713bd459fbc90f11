import { inputTensor, type Architecture, type ArchitectureNode } from '../graph/model.ts';
import type { Preprocess } from '../model/preprocess.ts';
import type { TensorShape } from '../model/shapes.ts';
import type { Activation } from '../ops/layers.ts';
import { opOf } from '../ops/registry.ts';

/**
 * Where a node's parameters are in a checkpoint: its weight and bias, and the batch norm folded into it (or, for a
 * `batchnorm` node, the one it is).
 */
export interface ParameterSource {
  weight?: string;
  /** Absent: the layer has no bias in the checkpoint (a conv before a batch norm), and starts from zeros. */
  bias?: string;
  batchNorm?: { name: string; epsilon: number };
}

/** A built-in network: its graph, and where each weighted node's parameters are in the published checkpoints. */
export interface BuiltArchitecture {
  architecture: Architecture;
  /** By node name, for nodes with weights, in torchvision's (or the source's) parameter names. */
  parameters: ReadonlyMap<string, ParameterSource>;
}

interface ConvOptions {
  stride?: number;
  padding?: number;
  groups?: number;
  activation?: Activation;
  /** The batch norm after the convolution, folded into it. */
  batchNorm?: string;
  /** The checkpoint names the conv's parameters by (default: the node's name). */
  source?: string;
  bias?: boolean;
}

/**
 * Builds a graph node by node, naming each node (and its output tensor) by the module path of the network's reference
 * implementation (`layer1.0.conv1`), tracking channels and recording where each node's parameters come from.
 */
export class GraphBuilder {
  readonly nodes: ArchitectureNode[] = [];
  readonly parameters = new Map<string, ParameterSource>();
  private readonly shapes: Map<string, TensorShape>;

  constructor(readonly side: number, private readonly epsilon = 1e-5) {
    this.shapes = new Map([[inputTensor, { channels: 3, height: side, width: side }]]);
  }

  shapeOf(tensor: string): TensorShape {
    const shape = this.shapes.get(tensor);
    if (!shape) throw new Error(`builder: no tensor ${tensor}`);
    return shape;
  }

  channelsOf(tensor: string): number {
    return this.shapeOf(tensor).channels;
  }

  /** Adds the node; its output shape comes from its op's shape rule, so a wrong size fails here, naming the node. */
  private push(node: ArchitectureNode): string {
    this.nodes.push(node);
    this.shapes.set(node.output, opOf(node).outputShape(node, node.inputs.map((t) => this.shapeOf(t))));
    return node.output;
  }

  conv(name: string, input: string, outChannels: number, kernel: number, options: ConvOptions = {}): string {
    const { stride = 1, padding = Math.floor(kernel / 2), groups = 1, activation = 'linear', batchNorm, source = name, bias = !batchNorm } = options;
    this.parameters.set(name, {
      weight: `${source}.weight`,
      ...(bias ? { bias: `${source}.bias` } : {}),
      ...(batchNorm ? { batchNorm: { name: batchNorm, epsilon: this.epsilon } } : {}),
    });
    const inChannels = this.channelsOf(input);
    return this.push({ kind: 'conv2d', name, inputs: [input], output: name, kernel, stride, padding, inChannels, outChannels, activation, ...(groups > 1 ? { groups } : {}) });
  }

  dense(name: string, input: string, outFeatures: number, activation: Activation = 'linear', source = name): string {
    this.parameters.set(name, { weight: `${source}.weight`, bias: `${source}.bias` });
    return this.push({ kind: 'dense', name, inputs: [input], output: name, inFeatures: this.channelsOf(input), outFeatures, activation });
  }

  batchNorm(name: string, input: string, activation: Activation = 'linear', source = name): string {
    this.parameters.set(name, { batchNorm: { name: source, epsilon: this.epsilon } });
    const channels = this.channelsOf(input);
    return this.push({ kind: 'batchnorm', name, inputs: [input], output: name, channels, activation });
  }

  maxPool(name: string, input: string, size: number, stride: number, padding = 0, ceilMode = false): string {
    return this.push({ kind: 'maxpool', name, inputs: [input], output: name, size, stride, ...(padding ? { padding } : {}), ...(ceilMode ? { ceilMode } : {}) });
  }

  avgPool(name: string, input: string, size: number, stride: number, padding = 0, ceilMode = false, countIncludePad = true): string {
    return this.push({ kind: 'avgpool', name, inputs: [input], output: name, size, stride, padding, ceilMode, countIncludePad });
  }

  adaptiveAvgPool(name: string, input: string, outHeight: number, outWidth: number): string {
    return this.push({ kind: 'adaptiveAvgPool', name, inputs: [input], output: name, outHeight, outWidth });
  }

  globalAvgPool(name: string, input: string): string {
    return this.push({ kind: 'globalAvgPool', name, inputs: [input], output: name });
  }

  lrn(name: string, input: string, size: number, alpha: number, beta: number, bias: number): string {
    return this.push({ kind: 'lrn', name, inputs: [input], output: name, size, alpha, beta, bias });
  }

  add(name: string, a: string, b: string, activation: Activation = 'linear'): string {
    return this.push({ kind: 'add', name, inputs: [a, b], output: name, activation });
  }

  concat(name: string, inputs: string[]): string {
    return this.push({ kind: 'concat', name, inputs, output: name });
  }

  flatten(name: string, input: string): string {
    return this.push({ kind: 'flatten', name, inputs: [input], output: name });
  }

  softmax(name: string, input: string): string {
    return this.push({ kind: 'softmax', name, inputs: [input], output: name });
  }

  build(name: string, preprocess: Preprocess, output: string): BuiltArchitecture {
    const side = this.side;
    return {
      architecture: { name, input: { channels: 3, height: side, width: side }, preprocess: { ...preprocess, width: side, height: side }, nodes: this.nodes, output },
      parameters: this.parameters,
    };
  }
}
