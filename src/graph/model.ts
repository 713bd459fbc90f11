import type { GraphView, NodeWiring } from '../ops/common/op-definition.ts';
import type { Layer, LayerSpec } from '../ops/layers.ts';
import { hasWeights, isOpKind, opKinds, opOf } from '../ops/registry.ts';
import type { Preprocess } from '../model/preprocess.ts';
import { formatShape, ModelShapeError, type TensorShape } from '../model/shapes.ts';

export type { NodeWiring };

/** The tensor the preprocessed photo is written to. */
export const inputTensor = 'input';

/** A node of a model's graph: an op with its weights, the tensors it reads and the one it writes. */
export type GraphNode = Layer & NodeWiring;
/** A node before any weights exist. */
export type ArchitectureNode = LayerSpec & NodeWiring;

/**
 * A runnable model: a DAG of named tensors and nodes in topological order, from one input (the preprocessed photo,
 * tensor {@link inputTensor}) to one output (the scores), with its preprocessing and the labels of its outputs.
 */
export interface Model {
  name: string;
  input: TensorShape;
  preprocess: Preprocess;
  nodes: GraphNode[];
  output: string;
  /** One label per output class, in the model's output order. */
  labels: string[];
}

/** A model's architecture alone: what the 3D view and shape checks need, before any weights exist. */
export interface Architecture {
  name: string;
  input: TensorShape;
  preprocess: Preprocess;
  nodes: ArchitectureNode[];
  output: string;
}

export class ModelWeightsError extends Error {
  override name = 'ModelWeightsError';
}

/** Wires a list of ops one after another, each node writing a tensor of its own name: VGG, Tiny Darknet, tfjs. */
export function chain<T extends LayerSpec>(layers: readonly T[]): { nodes: (T & NodeWiring)[]; output: string } {
  let previous = inputTensor;
  const nodes = layers.map((layer) => {
    const node = { ...layer, inputs: [previous], output: layer.name };
    previous = layer.name;
    return node;
  });
  return { nodes, output: previous };
}

/** Who reads a tensor: a node and which of its inputs the tensor is. */
export interface Consumer {
  node: ArchitectureNode;
  inputIndex: number;
}

/** A validated graph: every tensor's shape, producer and consumers, in topological order. */
export interface Graph {
  /** Tensors in the order they are written: the input first, the output last. */
  tensors: string[];
  shapes: ReadonlyMap<string, TensorShape>;
  producers: ReadonlyMap<string, ArchitectureNode>;
  /** In node order; the output has none. */
  consumers: ReadonlyMap<string, Consumer[]>;
  view: GraphView;
  /** Position of each node in topological order, by node. */
  order: ReadonlyMap<ArchitectureNode, number>;
}

interface GraphSource {
  name: string;
  input: TensorShape;
  nodes: readonly ArchitectureNode[];
  output: string;
}

function checkWiring(node: ArchitectureNode, index: number): void {
  const where = `node ${index} (${typeof node?.name === 'string' ? node.name : 'unnamed'})`;
  if (!node || typeof node !== 'object') throw new ModelShapeError(`${where} is not a node`);
  if (!isOpKind(node.kind)) throw new ModelShapeError(`${where}: unknown op "${String(node.kind)}"; known: ${opKinds.join(', ')}`);
  if (!Array.isArray(node.inputs) || node.inputs.some((t) => typeof t !== 'string')) throw new ModelShapeError(`${where}: inputs must be tensor names`);
  if (typeof node.output !== 'string' || node.output === '') throw new ModelShapeError(`${where}: output must be a tensor name`);
  const { min, max } = opOf(node).inputs;
  if (node.inputs.length < min || node.inputs.length > max) {
    const wanted = min === max ? `${min}` : `${min} to ${max === Infinity ? 'any number of' : max}`;
    throw new ModelShapeError(`${node.name}: a ${node.kind} node takes ${wanted} input(s), it has ${node.inputs.length}`);
  }
}

/**
 * Checks that the nodes form a DAG in topological order from the input to the output, with no tensor written twice
 * and none left unused, and infers every tensor's shape through each op's shape rule. Errors name the node.
 */
export function buildGraph(source: GraphSource): Graph {
  const shapes = new Map<string, TensorShape>([[inputTensor, source.input]]);
  const producers = new Map<string, ArchitectureNode>();
  const consumers = new Map<string, Consumer[]>([[inputTensor, []]]);
  const order = new Map<ArchitectureNode, number>();
  const writtenLater = new Set(source.nodes.map((n) => n?.output));
  source.nodes.forEach((node, index) => {
    checkWiring(node, index);
    node.inputs.forEach((tensor, inputIndex) => {
      if (!shapes.has(tensor)) {
        throw new ModelShapeError(
          writtenLater.has(tensor)
            ? `${node.name} reads tensor "${tensor}" before it is written: the nodes are not in topological order, or they form a cycle`
            : `${node.name} reads tensor "${tensor}", which no node writes`,
        );
      }
      consumers.get(tensor)!.push({ node, inputIndex });
    });
    if (shapes.has(node.output)) {
      const first = producers.get(node.output)?.name ?? 'the graph input';
      throw new ModelShapeError(`${node.name} writes tensor "${node.output}", which ${first} writes already`);
    }
    shapes.set(node.output, opOf(node).outputShape(node, node.inputs.map((t) => shapes.get(t)!)));
    producers.set(node.output, node);
    consumers.set(node.output, []);
    order.set(node, index);
  });
  if (!shapes.has(source.output)) throw new ModelShapeError(`${source.name}: the output tensor "${source.output}" is not written by any node`);
  for (const [tensor, readers] of consumers) {
    if (readers.length === 0 && tensor !== source.output) {
      const by = producers.get(tensor)?.name;
      throw new ModelShapeError(`${source.name}: tensor "${tensor}"${by ? ` (written by ${by})` : ''} is never read and is not the output`);
    }
  }
  const tensors = [inputTensor, ...source.nodes.map((n) => n.output)];
  const view: GraphView = {
    producer: (tensor) => producers.get(tensor),
    shape: (tensor) => {
      const shape = shapes.get(tensor);
      if (!shape) throw new Error(`no tensor named "${tensor}"`);
      return shape;
    },
  };
  return { tensors, shapes, producers, consumers, view, order };
}

const graphs = new WeakMap<readonly ArchitectureNode[], Graph>();

/** The validated graph of a model or architecture, built once per node list. */
export function graphOf(source: GraphSource): Graph {
  let graph = graphs.get(source.nodes);
  if (!graph) {
    graph = buildGraph(source);
    graphs.set(source.nodes, graph);
  }
  return graph;
}

/** The scores' shape: the output tensor's. */
export function outputShape(source: GraphSource): TensorShape {
  return graphOf(source).shapes.get(source.output)!;
}

/** Index of the first NaN or ±Infinity, or −1. A plain loop: VGG19 has 143 M weights (findIndex took 1.3 s). */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/**
 * Checks the graph, that every weight tensor has exactly the size its spec says and holds only finite numbers, that
 * the output is a vector, and that there is one label per class. Loaders call this last, so nothing half-loaded
 * escapes.
 */
export function validateModel(model: Model): Graph {
  const graph = graphOf(model);
  for (const node of model.nodes) {
    if (!hasWeights(node)) continue;
    const { weight, bias } = node as GraphNode & { weight: Float32Array; bias: Float32Array };
    const sizes = opOf(node).weights!.sizes(node);
    for (const [what, tensor, count] of [
      ['weight', weight, sizes.weight],
      ['bias', bias, sizes.bias],
    ] as const) {
      if (!(tensor instanceof Float32Array) || tensor.length !== count) {
        throw new ModelWeightsError(`${node.name}: ${what} has ${tensor?.length ?? 'no'} values, the layer needs ${count}`);
      }
      const bad = firstNonFinite(tensor);
      if (bad >= 0) {
        throw new ModelWeightsError(`${node.name}: ${what}[${bad}] is ${tensor[bad]}; the weights file is corrupt`);
      }
    }
  }
  const scores = graph.shapes.get(model.output)!;
  if (scores.height !== 1 || scores.width !== 1) {
    throw new ModelShapeError(`${model.name}: the output "${model.output}" must be a vector of class scores, it is ${formatShape(scores)}`);
  }
  if (model.labels.length !== scores.channels) {
    throw new ModelWeightsError(`${model.name}: ${model.labels.length} labels for ${scores.channels} output classes`);
  }
  return graph;
}

/** The output shape of one op on one input: what loaders that read a chain of layers check as they go. */
export function layerOutputShape(layer: LayerSpec, input: TensorShape): TensorShape {
  return opOf(layer).outputShape(layer, [input]);
}

/** Shapes along a chain of layers: index 0 is the input, i + 1 the output of layer i. */
export function chainShapes(input: TensorShape, layers: readonly LayerSpec[]): TensorShape[] {
  const shapes = [input];
  for (const layer of layers) shapes.push(layerOutputShape(layer, shapes[shapes.length - 1]));
  return shapes;
}

/** Weights and biases of every node together. */
export function parameterCount(model: Model): number {
  return model.nodes.reduce((sum, node) => sum + ('weight' in node ? node.weight.length + node.bias.length : 0), 0);
}

/** A node whose op carries weights. */
export type WeightedNode = GraphNode & { weight: Float32Array; bias: Float32Array };
