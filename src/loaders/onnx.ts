/**
 * ONNX models (`.onnx`, weights inline or in external data files) as our graph. The steps, each in its own module of
 * `onnx/`: parse the protobuf and read the tensors (`onnx-file.ts`), check the graph's one input, one output and
 * order (here), map every node (`onnx-ops.ts`, folding constant subgraphs), fold what our ops take as parameters
 * (`rewrite.ts`), and lower each node onto our ops (`lower.ts`). Nodes this build cannot run are collected over the
 * whole model and reported in one error; nothing half-loaded is returned. ONNX carries no preprocessing: it is given
 * (`PreprocessOptions`), and the defaults used for what is not are returned as a note.
 */
import type { GraphProto, NodeProto, TensorProto, ValueInfoProto } from 'onnx-buf';
import { AttributeProto_AttributeType } from 'onnx-buf';
import type { Layer } from '../ops/layers.ts';
import { inputTensor, ModelWeightsError, validateModel, type GraphNode, type Model } from '../graph/model.ts';
import { preprocessFromOptions, type PreprocessOptions } from '../model/preprocess-options.ts';
import { formatShape, ModelShapeError, type TensorShape } from '../model/shapes.ts';
import { opOf } from '../ops/registry.ts';
import { ModelFormatError } from './format-error.ts';
import { describeSource, Unsupported, type IrGraph, type OnnxSource } from './onnx/ir.ts';
import { lowerNode } from './onnx/lower.ts';
import { decodeOnnx, defaultOpset, ExternalData, readTensor, type Constant, type ReadExternalFile } from './onnx/onnx-file.ts';
import { NodeContext, type ImportState, type OnnxValue } from './onnx/onnx-node.ts';
import { onnxOps } from './onnx/onnx-ops.ts';
import { rewriteGraph } from './onnx/rewrite.ts';

export interface OnnxModelOptions {
  bytes: Uint8Array;
  /** The file's name, for messages. */
  fileName: string;
  /** External data files by their location relative to the model (PyTorch writes models over 2 GB so). */
  readExternal?: ReadExternalFile;
  preprocess?: PreprocessOptions;
  /** Class names in output order; default "class i". */
  labels?: string[];
  /**
   * Asked once the graph's input is known, before any weight is read (the page's form): the preprocessing and class
   * names, which replace `preprocess` and `labels`.
   */
  ask?: (input: OnnxInputInfo) => Promise<{ preprocess: PreprocessOptions; labels?: string[] }>;
  /** Model name; default the file name without `.onnx`. */
  name?: string;
}

/** What the graph says of its input: height and width, null where symbolic. */
export interface OnnxInputInfo {
  file: string;
  height: number | null;
  width: number | null;
}

export interface OnnxImport {
  model: Model;
  /** Says which preprocessing defaults were assumed, when any were; null when everything was given. */
  note: string | null;
}

const defaultDomains = new Set(['', 'ai.onnx']);

/** The dims of the graph's only input (null where symbolic), or null when it has not exactly one tensor input. */
function inputDims(graph: GraphProto, initializers: ReadonlySet<string>): (number | null)[] | null {
  const inputs = graph.input.filter((i) => !initializers.has(i.name));
  const tensorType = inputs.length === 1 && inputs[0].type?.value.case === 'tensorType' ? inputs[0].type.value.value : undefined;
  return tensorType ? (tensorType.shape?.dim ?? []).map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : null)) : null;
}

/** The graph's one input: the photo, NCHW, batch 1 or symbolic, three channels. */
function inputOf(graph: GraphProto, initializers: ReadonlySet<string>, file: string, size: number | undefined): { name: string; shape: TensorShape } {
  const inputs = graph.input.filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1) {
    throw new ModelFormatError(file, inputs.length === 0 ? 'the graph has no input' : `the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); a classifier here takes one photo`);
  }
  const [input] = inputs;
  const dims = inputDims(graph, initializers);
  if (!dims) throw new ModelFormatError(file, `input "${input.name}" is not a tensor`);
  if (dims.length !== 4) throw new ModelFormatError(file, `input "${input.name}" has ${dims.length} dims; a photo is N×C×H×W`);
  const [batch, channels, height, width] = dims;
  if (batch !== null && batch !== 1) throw new ModelFormatError(file, `input "${input.name}" has batch size ${batch}; export the model with batch 1 or a symbolic batch`);
  if (channels !== 3) {
    const hint = height === 3 || width === 3 ? ' (the input looks channels-last: export with NCHW input, e.g. tf2onnx --inputs-as-nchw)' : '';
    throw new ModelFormatError(file, `input "${input.name}" has ${channels ?? 'a symbolic number of'} channels; models here take RGB (3)${hint}`);
  }
  const side = (value: number | null, what: string) => {
    if (value === null) {
      if (size === undefined) throw new ModelFormatError(file, `input "${input.name}" has a symbolic ${what}; give the input size with --size N`);
      return size;
    }
    if (size !== undefined && size !== value) throw new ModelFormatError(file, `input "${input.name}" is ${width ?? '?'}×${height ?? '?'} pixels; --size ${size} does not fit it`);
    return value;
  };
  return { name: input.name, shape: { channels: 3, height: side(height, 'height'), width: side(width, 'width') } };
}

function outputOf(graph: GraphProto, file: string): ValueInfoProto {
  if (graph.output.length !== 1) {
    throw new ModelFormatError(file, `the graph has ${graph.output.length} outputs${graph.output.length ? ` (${graph.output.map((o) => o.name).join(', ')})` : ''}; a classifier here has one, the class scores`);
  }
  return graph.output[0];
}

/**
 * The nodes in an order where every value is written before it is read (ONNX asks for it; not every exporter obeys).
 * A value read but never written, written twice, or a cycle is an error naming the node.
 */
function topologicalOrder(graph: GraphProto, known: ReadonlySet<string>, sources: Map<NodeProto, OnnxSource>, file: string): NodeProto[] {
  const writer = new Map<string, NodeProto>();
  for (const node of graph.node) {
    for (const out of node.output.filter((o) => o !== '')) {
      if (writer.has(out) || known.has(out)) throw new ModelFormatError(file, `${describeSource(sources.get(node)!)} writes "${out}", which ${writer.has(out) ? describeSource(sources.get(writer.get(out)!)!) : 'an initializer or input'} writes already`);
      writer.set(out, node);
    }
  }
  const waiting = new Map<NodeProto, number>();
  const readers = new Map<string, NodeProto[]>();
  for (const node of graph.node) {
    const needs = new Set(node.input.filter((i) => i !== '' && !known.has(i)));
    for (const name of needs) {
      if (!writer.has(name)) throw new ModelFormatError(file, `${describeSource(sources.get(node)!)} reads "${name}", which no node, initializer or input provides`);
      if (!readers.has(name)) readers.set(name, []);
      readers.get(name)!.push(node);
    }
    waiting.set(node, needs.size);
  }
  const ready = graph.node.filter((n) => waiting.get(n) === 0);
  const order: NodeProto[] = [];
  while (ready.length > 0) {
    // Lowest file position first, so a graph already in order stays as it is.
    ready.sort((a, b) => sources.get(a)!.position - sources.get(b)!.position);
    const node = ready.shift()!;
    order.push(node);
    for (const out of node.output) {
      for (const reader of readers.get(out) ?? []) {
        const left = waiting.get(reader)! - 1;
        waiting.set(reader, left);
        if (left === 0) ready.push(reader);
      }
    }
  }
  if (order.length < graph.node.length) {
    const stuck = graph.node.filter((n) => !order.includes(n));
    throw new ModelFormatError(file, `the graph has a cycle: ${stuck.slice(0, 4).map((n) => describeSource(sources.get(n)!)).join(', ')}${stuck.length > 4 ? ', …' : ''} wait on each other`);
  }
  return order;
}

/** Every tensor the model holds: initializers, and tensor attributes (Constant values), read once up front. */
async function readConstants(graph: GraphProto, external: ExternalData, file: string): Promise<{ initializers: Map<string, Constant>; attributes: Map<unknown, Constant> }> {
  const initializers = new Map<string, Constant>();
  for (const tensor of graph.initializer) {
    if (initializers.has(tensor.name)) throw new ModelFormatError(file, `initializer "${tensor.name}" is stored twice`);
    initializers.set(tensor.name, await readTensor(tensor, external, file));
  }
  if (graph.sparseInitializer.length > 0) throw new ModelFormatError(file, `has ${graph.sparseInitializer.length} sparse initializers, which this tool does not read`);
  const attributes = new Map<unknown, Constant>();
  for (const node of graph.node) {
    for (const a of node.attribute) {
      if (a.type === AttributeProto_AttributeType.TENSOR && a.t) attributes.set(a, await readTensor(a.t as TensorProto, external, file, `tensor attribute "${a.name}" of node "${node.name}"`));
    }
  }
  return { initializers, attributes };
}

interface UnsupportedNode {
  source: OnnxSource;
  reason: string;
}

function unsupportedError(file: string, found: UnsupportedNode[]): ModelFormatError {
  const list = found.map((u) => `${describeSource(u.source)}: ${u.reason}`).join('; ');
  const types = [...new Set(found.map((u) => u.source.opType))].join(', ');
  return new ModelFormatError(
    file,
    `cannot be imported: ${found.length} node${found.length === 1 ? '' : 's'} (${types}) ${found.length === 1 ? 'is' : 'are'} not supported: ${list}. ` +
      `Supported ONNX ops: ${Object.keys(onnxOps).join(', ')} (see the README, "Your own model (ONNX)")`,
  );
}

/** Walks the ONNX graph in order, mapping each node; unsupported nodes are collected and their outputs skipped. */
function mapNodes(order: NodeProto[], sources: Map<NodeProto, OnnxSource>, state: ImportState): UnsupportedNode[] {
  const unsupported: UnsupportedNode[] = [];
  const skipped = new Set<string>();
  for (const node of order) {
    const source = sources.get(node)!;
    const mapper = defaultDomains.has(node.domain) ? onnxOps[node.opType] : undefined;
    const skip = () => node.output.forEach((o) => skipped.add(o));
    if (!mapper) {
      unsupported.push({ source, reason: defaultDomains.has(node.domain) ? 'no such op here' : `an op of domain "${node.domain}"` });
      skip();
      continue;
    }
    // Downstream of an unsupported node: that node is reported; this one cannot be judged.
    if (node.input.some((i) => skipped.has(i))) {
      skip();
      continue;
    }
    try {
      mapper(new NodeContext(node, source, state));
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      unsupported.push({ source, reason: error.message });
      skip();
    }
  }
  return unsupported;
}

/** Our shape of an ONNX tensor: NCHW maps as C×H×W, vectors [1, n] or [n] as n. */
function shapeOf(dims: readonly number[]): TensorShape {
  if (dims.length === 4) return { channels: dims[1], height: dims[2], width: dims[3] };
  return { channels: dims[dims.length - 1], height: 1, width: 1 };
}

/** Unique node names: the ONNX node's own, else op type and position; each node writes a tensor of its name. */
function nodeNames(graph: IrGraph): Map<string, string> {
  const used = new Set([inputTensor]);
  const names = new Map<string, string>();
  for (const node of graph.nodes) {
    const base = node.source.name || `${node.source.opType}_${node.source.position}`;
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    names.set(node.output, name);
  }
  return names;
}

/**
 * A lowered node must give ONNX's output shape: a safety net under every lowering, so that no node whose output our
 * op sizes differently (a window ONNX counts otherwise) is loaded.
 */
function checkOutputShape(layer: Layer, inShapes: TensorShape[], onnx: TensorShape): void {
  let ours: TensorShape;
  try {
    ours = opOf(layer).outputShape(layer, inShapes);
  } catch (error) {
    if (error instanceof ModelShapeError) throw new Unsupported(error.message.replace(`${layer.name}: `, ''));
    throw error;
  }
  if (formatShape(ours) !== formatShape(onnx)) throw new Unsupported(`our ${layer.kind} gives ${formatShape(ours)} where ONNX gives ${formatShape(onnx)}`);
}

/** Our nodes; `unsupported` (from the mapping) gets the nodes our ops cannot run, and is thrown as one error. */
function lowerGraph(graph: IrGraph, file: string, unsupported: UnsupportedNode[]): { nodes: GraphNode[]; output: string } {
  const names = nodeNames(graph);
  const tensorName = (t: string) => (t === graph.input ? inputTensor : names.get(t)!);
  const nodes: GraphNode[] = [];
  for (const node of graph.nodes) {
    try {
      const inShapes = node.inputs.map((t) => shapeOf(graph.dims.get(t)!));
      const layer: Layer = lowerNode(node, { name: names.get(node.output)!, inShapes });
      checkOutputShape(layer, inShapes, shapeOf(graph.dims.get(node.output)!));
      nodes.push({ ...layer, inputs: node.inputs.map(tensorName), output: names.get(node.output)! } as GraphNode);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      unsupported.push({ source: node.source, reason: error.message });
    }
  }
  if (unsupported.length > 0) throw unsupportedError(file, unsupported.sort((a, b) => a.source.position - b.source.position));
  if (graph.output === graph.input) throw new ModelFormatError(file, 'the graph output is its input: the model computes nothing');
  return { nodes, output: tensorName(graph.output) };
}

/** The importer's graph, and the nodes that could not be mapped (their outputs left out of it). */
function importGraph(graph: GraphProto, opset: number, constants: Awaited<ReturnType<typeof readConstants>>, input: { name: string; shape: TensorShape }, file: string): { ir: IrGraph; unsupported: UnsupportedNode[] } {
  const output = outputOf(graph, file);
  const sources = new Map(graph.node.map((node, i): [NodeProto, OnnxSource] => [node, { position: i + 1, count: graph.node.length, name: node.name, opType: node.opType }]));
  const known = new Set([...constants.initializers.keys(), input.name]);
  const order = topologicalOrder(graph, known, sources, file);
  const values = new Map<string, OnnxValue>();
  for (const [name, constant] of constants.initializers) values.set(name, { kind: 'constant', constant });
  const inputDims = [1, input.shape.channels, input.shape.height, input.shape.width];
  values.set(input.name, { kind: 'tensor', name: input.name, dims: inputDims });
  const state: ImportState = {
    file,
    opset,
    values,
    nodes: [],
    dims: new Map([[input.name, inputDims]]),
    read: new Set([...graph.node.flatMap((n) => n.input), output.name]),
    decodeTensor: (attribute) => {
      const constant = constants.attributes.get(attribute);
      if (!constant) throw new Unsupported(`attribute "${attribute.name}" is not a tensor`);
      return constant;
    },
  };
  const unsupported = mapNodes(order, sources, state);
  const result = values.get(output.name);
  if (unsupported.length === 0) {
    if (!result) throw new ModelFormatError(file, `the graph output "${output.name}" is written by no node`);
    if (result.kind !== 'tensor') throw new ModelFormatError(file, `the graph output "${output.name}" is a constant: it does not depend on the photo`);
  }
  const outputTensor = result?.kind === 'tensor' ? result.name : output.name;
  return { ir: { nodes: state.nodes, dims: state.dims, input: input.name, output: outputTensor }, unsupported };
}

function fileStem(file: string): string {
  return (file.split(/[\\/]/).pop() ?? file).replace(/\.onnx$/i, '');
}

/** Parses an ONNX model into a validated model of our ops, with the preprocessing and labels given. */
export async function loadOnnx(options: OnnxModelOptions): Promise<OnnxImport> {
  const file = options.fileName;
  const proto = decodeOnnx(options.bytes, file);
  const opset = defaultOpset(proto, file);
  const graph = proto.graph!;
  const initializerNames = new Set(graph.initializer.map((t) => t.name));
  if (options.ask) {
    const dims = inputDims(graph, initializerNames);
    options = { ...options, ...(await options.ask({ file, height: dims?.[2] ?? null, width: dims?.[3] ?? null })) };
  }
  const external = new ExternalData(file, options.readExternal);
  const constants = await readConstants(graph, external, file);
  const input = inputOf(graph, initializerNames, file, options.preprocess?.size);
  let model: Model;
  try {
    const { ir, unsupported } = importGraph(graph, opset, constants, input, file);
    // With nodes left out, what reads a tensor is not known: nothing is dropped, so that every node is judged.
    rewriteGraph(ir, { dropUnread: unsupported.length === 0 });
    const { nodes, output } = lowerGraph(ir, file, unsupported);
    const { preprocess, defaults } = preprocessFromOptions(input.shape.width, input.shape.height, options.preprocess ?? {});
    const classes = shapeOf(ir.dims.get(ir.output)!).channels;
    const labels = options.labels ?? Array.from({ length: classes }, (_, i) => `class ${i}`);
    if (labels.length !== classes) throw new ModelFormatError(file, `the model has ${classes} classes but ${labels.length} class names were given`);
    model = { name: options.name ?? fileStem(file), input: input.shape, preprocess, nodes, output, labels };
    validateModel(model);
    const note =
      defaults.length === 0
        ? null
        : `${file}: ONNX stores no preprocessing; assumed ${defaults.join(' ')} (the photo ${preprocess.resize === 'resize' ? 'stretched' : preprocess.resize} to ${input.shape.width}×${input.shape.height}, ` +
          `${preprocess.channelOrder.toUpperCase()} in [0, ${preprocess.scale * 255}])${options.labels ? '' : ' and names "class 0…"'}; give the model's own with --mean, --std, --resize, --scale, --bgr`;
    return { model, note };
  } catch (error) {
    if (error instanceof ModelShapeError || error instanceof ModelWeightsError) throw new ModelFormatError(file, error.message);
    throw error;
  }
}
