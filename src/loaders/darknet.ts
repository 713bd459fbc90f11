/**
 * darknet `.cfg` + `.weights` (Tiny Darknet, Darknet-19/53 and other darknet classifiers) as a graph.
 * Supported sections: [net], [convolutional] (batch norm folded, groups), [maxpool], [avgpool], [connected],
 * [route] (one earlier layer, or several concatenated), [shortcut] (a residual add), [dropout], [softmax], [cost];
 * anything else is rejected by name and line.
 */
import type { Activation, Layer } from '../ops/layers.ts';
import { opOf } from '../ops/registry.ts';
import { inputTensor, validateModel, type GraphNode, type Model } from '../graph/model.ts';
import { darknetPreprocess } from '../model/preprocess.ts';
import { formatShape, type TensorShape } from '../model/shapes.ts';
import { foldBatchNorm, ModelFormatError, namingFile, readFloat32 } from './format-error.ts';
import { limits } from './limits.ts';

interface Section {
  type: string;
  line: number;
  options: Map<string, string>;
}

export function parseDarknetCfg(text: string, file = 'cfg'): Section[] {
  const sections: Section[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) return;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      sections.push({ type: header[1], line: index + 1, options: new Map() });
      return;
    }
    const pair = /^([\w.]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) throw new ModelFormatError(file, `line ${index + 1} is neither a [section] nor key=value: "${raw.trim()}"`);
    if (sections.length === 0) throw new ModelFormatError(file, `line ${index + 1}: "${pair[1]}" comes before any [section]`);
    sections[sections.length - 1].options.set(pair[1], pair[2].trim());
  });
  if (sections[0]?.type !== 'net' && sections[0]?.type !== 'network') {
    throw new ModelFormatError(file, 'a darknet cfg starts with a [net] section; this file does not');
  }
  return sections;
}

/**
 * The ranges of the options read: sizes, strides and counts are positive, flags 0 or 1. Written as plain decimal digits
 * only (darknet's atoi would read "0x10" as 0 and "16abc" as 16; neither is what the author meant).
 */
const optionRanges: Record<string, [number, number]> = {
  width: [1, limits.side],
  height: [1, limits.side],
  channels: [1, limits.channels],
  filters: [1, limits.channels],
  size: [1, limits.side],
  stride: [1, limits.side],
  pad: [0, 1],
  padding: [0, limits.side],
  groups: [1, limits.channels],
  batch_normalize: [0, 1],
  output: [1, limits.features],
};

function intOption(section: Section, key: string, fallback: number | undefined, file: string): number {
  const value = section.options.get(key);
  if (value === undefined) {
    if (fallback === undefined) throw new ModelFormatError(file, `[${section.type}] at line ${section.line} needs ${key}=`);
    return fallback;
  }
  const [min, max] = optionRanges[key] ?? [0, limits.features];
  const number = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) {
    throw new ModelFormatError(file, `[${section.type}] at line ${section.line}: ${key}=${value} is not ${min === 0 && max === 1 ? '0 or 1' : `an integer from ${min} to ${max}`}`);
  }
  return number;
}

function activationOption(section: Section, file: string, fallback = 'logistic'): Activation {
  const value = section.options.get('activation') ?? fallback;
  if (value === 'leaky' || value === 'relu' || value === 'linear') return value;
  throw new ModelFormatError(
    file,
    `[${section.type}] at line ${section.line}: activation=${value} is not supported (leaky, relu and linear are)`,
  );
}

export interface DarknetFiles {
  cfg: string;
  weights: Uint8Array;
  /** Class names in output order (darknet's names list); default "class i". */
  labels?: string[];
  cfgName?: string;
  weightsName?: string;
  name?: string;
}

/** Builds a validated model from a darknet cfg and weights; the weights must be exactly as long as the cfg needs. */
export function loadDarknet(files: DarknetFiles): Model {
  return namingFile({ shapes: files.cfgName ?? 'cfg', weights: files.weightsName ?? 'weights' }, () => readDarknet(files));
}

/** The weights file, read front to back as the cfg's sections ask for their tensors. */
class WeightsReader {
  offset: number;
  readonly headerBytes: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    readonly cfgName: string,
  ) {
    if (bytes.byteLength < 16) throw new ModelFormatError(file, `is ${bytes.byteLength} bytes, shorter than a darknet header`);
    const header = new DataView(bytes.buffer, bytes.byteOffset, 20 <= bytes.byteLength ? 20 : 16);
    const major = header.getInt32(0, true);
    const minor = header.getInt32(4, true);
    if (major < 0 || major > 1000 || minor < 0 || minor > 1000) {
      throw new ModelFormatError(file, `header version ${major}.${minor} is not a darknet weights version: not a darknet .weights file`);
    }
    // darknet writes `seen` as size_t from version 0.2 on, as int before.
    this.headerBytes = major * 10 + minor >= 2 ? 20 : 16;
    this.offset = this.headerBytes;
  }

  take(count: number, what: string): Float32Array {
    if (this.offset + count * 4 > this.bytes.byteLength) {
      throw new ModelFormatError(
        this.file,
        `ends at byte ${this.bytes.byteLength} while reading ${what} (needs ${count * 4} bytes from byte ${this.offset}): ` +
          `the file is truncated or belongs to a different cfg than ${this.cfgName}`,
      );
    }
    const values = readFloat32(this.bytes, this.offset, count);
    this.offset += count * 4;
    return values;
  }

  expectEnd(): void {
    if (this.offset !== this.bytes.byteLength) {
      throw new ModelFormatError(
        this.file,
        `has ${this.bytes.byteLength - this.offset} bytes left over after the ${(this.offset - this.headerBytes) / 4} weights that ${this.cfgName} needs: ` +
          'it belongs to a different cfg',
      );
    }
  }
}

/**
 * The graph as the sections build it. darknet numbers its layers by section (after [net]); [route] and [shortcut]
 * name earlier layers by that number (relative when negative), so every section records the tensor it leaves.
 */
class DarknetGraph {
  readonly nodes: GraphNode[] = [];
  /** The tensor each darknet layer (section after [net]) leaves, by layer number. */
  readonly layerOutputs: string[] = [];
  private readonly shapes = new Map<string, TensorShape>();
  private readonly counters = new Map<string, number>();
  current = inputTensor;

  constructor(
    input: TensorShape,
    readonly cfgName: string,
  ) {
    this.shapes.set(inputTensor, input);
  }

  get shape(): TensorShape {
    return this.shapes.get(this.current)!;
  }

  nameFor(kind: string): string {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `${kind}${n}`;
  }

  push(layer: Layer, inputs: string[] = [this.current]): void {
    const node = { ...layer, inputs, output: layer.name } as GraphNode;
    this.shapes.set(node.output, opOf(node).outputShape(node, inputs.map((t) => this.shapes.get(t)!)));
    this.nodes.push(node);
    this.current = node.output;
  }

  /** The tensor of the layer `reference` names: an absolute layer number, or relative to `index` when negative. */
  layer(reference: number, index: number, where: string): string {
    const at = reference < 0 ? index + reference : reference;
    if (!Number.isInteger(at) || at < 0 || at >= index) {
      throw new ModelFormatError(this.cfgName, `${where}: layer ${reference} is not an earlier layer (this is layer ${index})`);
    }
    return this.layerOutputs[at];
  }

  shapeOf(tensor: string): TensorShape {
    return this.shapes.get(tensor)!;
  }
}

interface SectionContext {
  section: Section;
  where: string;
  /** This section's darknet layer number. */
  index: number;
  graph: DarknetGraph;
  weights: WeightsReader;
  cfgName: string;
}

function convolutional({ section, where, graph, weights, cfgName }: SectionContext): void {
  const filters = intOption(section, 'filters', 1, cfgName);
  const size = intOption(section, 'size', 1, cfgName);
  const stride = intOption(section, 'stride', 1, cfgName);
  const padding = intOption(section, 'pad', 0, cfgName) ? Math.floor(size / 2) : intOption(section, 'padding', 0, cfgName);
  const groups = intOption(section, 'groups', 1, cfgName);
  const inChannels = graph.shape.channels;
  if (inChannels % groups !== 0 || filters % groups !== 0) {
    throw new ModelFormatError(cfgName, `${where}: groups=${groups} does not divide ${inChannels} input channels and filters=${filters}`);
  }
  const name = graph.nameFor('conv');
  let bias = weights.take(filters, `${name} biases`);
  const batchNorm = intOption(section, 'batch_normalize', 0, cfgName) === 1;
  const norm = batchNorm
    ? { scale: weights.take(filters, `${name} scales`), mean: weights.take(filters, `${name} rolling mean`), variance: weights.take(filters, `${name} rolling variance`) }
    : null;
  const weight = weights.take((filters * inChannels * size * size) / groups, `${name} weights`);
  if (norm) {
    // Under batch norm darknet's "biases" are the norm's shift and the conv itself has no bias.
    const shift = bias;
    bias = new Float32Array(filters);
    foldBatchNorm(weight, bias, { ...norm, shift }, (variance) => Math.sqrt(variance) + 1e-6);
  }
  graph.push({
    kind: 'conv2d',
    name,
    kernel: size,
    stride,
    padding,
    inChannels,
    outChannels: filters,
    activation: activationOption(section, cfgName),
    ...(groups > 1 ? { groups } : {}),
    weight,
    bias,
  });
}

function maxpool({ section, where, graph, cfgName }: SectionContext): void {
  const stride = intOption(section, 'stride', 1, cfgName);
  const size = intOption(section, 'size', stride, cfgName);
  const { width, height } = graph.shape;
  const darknetOut = (n: number) => Math.floor((n - 1) / stride) + 1;
  const ours = (n: number) => Math.floor((n - size) / stride) + 1;
  if (darknetOut(width) !== ours(width) || darknetOut(height) !== ours(height)) {
    throw new ModelFormatError(cfgName, `${where}: darknet pads this ${size}×${size}/${stride} max-pool over a ${width}×${height} input, which is not supported`);
  }
  graph.push({ kind: 'maxpool', name: graph.nameFor('pool'), size, stride });
}

function connected({ section, where, graph, weights, cfgName }: SectionContext): void {
  if (graph.shape.height !== 1 || graph.shape.width !== 1) graph.push({ kind: 'flatten', name: graph.nameFor('flatten') });
  const outputs = intOption(section, 'output', 1, cfgName);
  const name = graph.nameFor('fc');
  const inFeatures = graph.shape.channels;
  const bias = weights.take(outputs, `${name} biases`);
  const weight = weights.take(outputs * inFeatures, `${name} weights`);
  if (intOption(section, 'batch_normalize', 0, cfgName) === 1) {
    throw new ModelFormatError(cfgName, `${where}: batch norm on connected layers is not supported`);
  }
  graph.push({ kind: 'dense', name, inFeatures, outFeatures: outputs, activation: activationOption(section, cfgName), weight, bias });
}

/** Earlier layers as a [route] or [shortcut] lists them: comma-separated layer numbers, relative when negative. */
function layerList({ section, where, index, graph, cfgName }: SectionContext, key: string): string[] {
  const value = section.options.get(key);
  if (value === undefined) throw new ModelFormatError(cfgName, `${where} needs ${key}=`);
  return value.split(',').map((part) => {
    const text = part.trim();
    if (!/^-?\d{1,6}$/.test(text)) throw new ModelFormatError(cfgName, `${where}: ${key}=${value} is not a list of layer numbers`);
    return graph.layer(Number(text), index, where);
  });
}

/** [route]: one earlier layer's output as it is, or several concatenated along channels. */
function route(context: SectionContext): void {
  const { graph, where, cfgName } = context;
  if (context.section.options.has('groups') && intOption(context.section, 'groups', 1, cfgName) !== 1) {
    throw new ModelFormatError(cfgName, `${where}: grouped routes are not supported`);
  }
  const layers = layerList(context, 'layers');
  if (layers.length === 1) {
    graph.current = layers[0];
    return;
  }
  const { height, width } = graph.shapeOf(layers[0]);
  if (layers.some((t) => graph.shapeOf(t).height !== height || graph.shapeOf(t).width !== width)) {
    throw new ModelFormatError(cfgName, `${where}: routes layers of different sizes (${layers.map((t) => `${t} ${formatShape(graph.shapeOf(t))}`).join(', ')})`);
  }
  graph.push({ kind: 'concat', name: graph.nameFor('route') }, layers);
}

/** [shortcut]: the previous layer plus an earlier one (a residual connection), then the activation. */
function shortcut(context: SectionContext): void {
  const { graph, where, cfgName, section } = context;
  const from = layerList(context, 'from');
  if (from.length !== 1) throw new ModelFormatError(cfgName, `${where}: a shortcut adds one earlier layer (from=${section.options.get('from')})`);
  if (section.options.has('weights_type')) throw new ModelFormatError(cfgName, `${where}: weighted shortcuts are not supported`);
  const [a, b] = [graph.current, from[0]];
  const [sa, sb] = [graph.shapeOf(a), graph.shapeOf(b)];
  if (sa.channels !== sb.channels || sa.height !== sb.height || sa.width !== sb.width) {
    throw new ModelFormatError(cfgName, `${where}: adds ${formatShape(sb)} to ${formatShape(sa)}; darknet's partial sums of different sizes are not supported`);
  }
  graph.push({ kind: 'add', name: graph.nameFor('shortcut'), activation: activationOption(section, cfgName, 'linear') }, [b, a]);
}

const sectionReaders: Record<string, (context: SectionContext) => void> = {
  convolutional,
  conv: convolutional,
  maxpool,
  avgpool: ({ graph }) => graph.push({ kind: 'globalAvgPool', name: graph.nameFor('avgpool') }),
  connected,
  route,
  shortcut,
  softmax: ({ section, where, graph, cfgName }) => {
    if (intOption(section, 'groups', 1, cfgName) !== 1) throw new ModelFormatError(cfgName, `${where}: grouped softmax is not supported`);
    graph.push({ kind: 'softmax', name: 'softmax' });
  },
  dropout: () => {},
  cost: () => {},
};

function readDarknet(files: DarknetFiles): Model {
  const cfgName = files.cfgName ?? 'cfg';
  const weightsName = files.weightsName ?? 'weights';
  const sections = parseDarknetCfg(files.cfg, cfgName);
  const net = sections[0];
  const input: TensorShape = {
    channels: intOption(net, 'channels', 3, cfgName),
    height: intOption(net, 'height', undefined, cfgName),
    width: intOption(net, 'width', undefined, cfgName),
  };
  if (input.channels !== 3) throw new ModelFormatError(cfgName, `[net] channels=${input.channels}: only RGB (3) inputs are supported`);
  const weights = new WeightsReader(files.weights, weightsName, cfgName);
  const graph = new DarknetGraph(input, cfgName);
  sections.slice(1).forEach((section, index) => {
    const where = `[${section.type}] at line ${section.line}`;
    const read = sectionReaders[section.type];
    if (!read) throw new ModelFormatError(cfgName, `${where}: layer type [${section.type}] is not supported`);
    read({ section, where, index, graph, weights, cfgName });
    graph.layerOutputs.push(graph.current);
  });
  weights.expectEnd();

  const classes = graph.shape.channels;
  const labels = files.labels ?? Array.from({ length: classes }, (_, i) => `class ${i}`);
  if (labels.length !== classes) {
    throw new ModelFormatError(files.cfgName ?? 'labels', `the model has ${classes} classes but ${labels.length} labels were given`);
  }
  const model: Model = {
    name: files.name ?? cfgName.replace(/\.cfg$/, ''),
    input,
    preprocess: darknetPreprocess(input.width, input.height),
    nodes: graph.nodes,
    output: graph.current,
    labels,
  };
  validateModel(model);
  return model;
}
