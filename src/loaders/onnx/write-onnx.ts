/**
 * Our graph as an ONNX model (opset 13), through the same official schema the importer reads: one writer per op kind,
 * so an op added to the registry needs its writer here too (the table's type says so). Every writer is exact: what
 * ONNX cannot express as our op computes it (an adaptive pool with uneven windows) throws, naming the node. The tests write every model
 * they check this way and read it back, and run it through ONNX Runtime; `OnnxBuilder` also builds graphs by hand
 * (ops our models never contain, broken files). Weights are fp32 or fp16, inline or in one external data file.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { LEAKY_SLOPE, type Activation, type LayerKind } from '../../ops/layers.ts';
import { avgPoolWindow } from '../../ops/avgpool/spec.ts';
import { convGroups, convPads } from '../../ops/conv2d/spec.ts';
import { maxPoolWindow } from '../../ops/maxpool/spec.ts';
import type { TensorShape } from '../../model/shapes.ts';
import { graphOf, inputTensor, type GraphNode, type Model } from '../../graph/model.ts';

export const writtenOpset = 13;

export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] };

function attribute(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === 'string') return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(value) });
  if (typeof value === 'number') return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) });
  if (Array.isArray(value)) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: value.map(BigInt) });
  if ('float' in value) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value.float });
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats: value.floats });
}

/** float → fp16 bits, round to nearest even. */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - exponent;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

export interface WriteOptions {
  /**
   * Store float weights as fp16, each widened by a Cast node before use (the graph still computes in fp32, so ONNX
   * Runtime's outputs stay comparable at 1e-4).
   */
  float16?: boolean;
  /** Store every initializer in this external data file instead of inline (as PyTorch does past 2 GB). */
  externalData?: string;
}

export interface WrittenOnnx {
  bytes: Uint8Array;
  /** The external data file's bytes, when one was asked for. */
  externalData?: Uint8Array;
}

/** A graph under construction: initializers, nodes, one input and one output, and each tensor's rank. */
export class OnnxBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: { name: string; dims: number[]; data: Float32Array | BigInt64Array }[] = [];
  readonly rank = new Map<string, number>();
  inputs: ValueInfoProto[] = [];
  outputs: ValueInfoProto[] = [];
  private counter = 0;

  /** A fresh tensor name. */
  fresh(stem: string): string {
    return `${stem}__${++this.counter}`;
  }

  node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}, name = outputs[0]): this {
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        name,
        input: inputs,
        output: outputs,
        attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
      }),
    );
    return this;
  }

  floats(name: string, dims: number[], data: ArrayLike<number>): string {
    this.initializers.push({ name, dims, data: Float32Array.from(data) });
    return name;
  }

  int64s(name: string, dims: number[], data: readonly number[]): string {
    this.initializers.push({ name, dims, data: BigInt64Array.from(data.map(BigInt)) });
    return name;
  }

  static valueInfo(name: string, dims: (number | string)[], elemType = TensorProto_DataType.FLOAT): ValueInfoProto {
    const dim = dims.map((d) => create(TensorShapeProto_DimensionSchema, { value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d } }));
    return create(ValueInfoProtoSchema, {
      name,
      type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType, shape: create(TensorShapeProtoSchema, { dim }) }) } }),
    });
  }

  input(name: string, dims: (number | string)[]): this {
    this.inputs.push(OnnxBuilder.valueInfo(name, dims));
    return this;
  }

  output(name: string, dims: (number | string)[]): this {
    this.outputs.push(OnnxBuilder.valueInfo(name, dims));
    return this;
  }

  private tensors(options: WriteOptions): { tensors: TensorProto[]; externalData?: Uint8Array } {
    const parts: Uint8Array[] = [];
    let offset = 0;
    const tensors = this.initializers.map(({ name, dims, data }) => {
      let raw: Uint8Array;
      let dataType: TensorProto_DataType;
      if (data instanceof BigInt64Array) {
        raw = new Uint8Array(data.buffer.slice(0));
        dataType = TensorProto_DataType.INT64;
      } else if (options.float16) {
        raw = new Uint8Array(Uint16Array.from(data, floatToHalf).buffer);
        dataType = TensorProto_DataType.FLOAT16;
      } else {
        raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
        dataType = TensorProto_DataType.FLOAT;
      }
      const tensor = create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType });
      if (options.externalData) {
        tensor.dataLocation = TensorProto_DataLocation.EXTERNAL;
        tensor.externalData = [
          create(StringStringEntryProtoSchema, { key: 'location', value: options.externalData }),
          create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
          create(StringStringEntryProtoSchema, { key: 'length', value: String(raw.byteLength) }),
        ];
        parts.push(raw);
        offset += raw.byteLength;
      } else {
        tensor.rawData = raw as Uint8Array<ArrayBuffer>;
      }
      return tensor;
    });
    if (!options.externalData) return { tensors };
    const externalData = new Uint8Array(offset);
    let at = 0;
    for (const part of parts) {
      externalData.set(part, at);
      at += part.byteLength;
    }
    return { tensors, externalData };
  }

  /** fp16 storage: initializer `w` becomes `w.fp16`, and a Cast node at the start writes `w` as float. */
  private widenedFromHalf(): NodeProto[] {
    return this.initializers.flatMap((t) => {
      if (t.data instanceof BigInt64Array) return [];
      const stored = `${t.name}.fp16`;
      const cast = create(NodeProtoSchema, { opType: 'Cast', name: `${t.name}.cast`, input: [stored], output: [t.name], attribute: [attribute('to', TensorProto_DataType.FLOAT)] });
      t.name = stored;
      return [cast];
    });
  }

  /** The model's bytes (and its external data file's). */
  write(name: string, options: WriteOptions = {}, opset = writtenOpset): WrittenOnnx {
    const casts = options.float16 ? this.widenedFromHalf() : [];
    const { tensors, externalData } = this.tensors(options);
    const model = create(ModelProtoSchema, {
      irVersion: 8n,
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
      producerName: 'webgpu-fixations',
      producerVersion: '1',
      graph: create(GraphProtoSchema, { name, node: [...casts, ...this.nodes], initializer: tensors, input: this.inputs, output: this.outputs }),
    });
    return { bytes: toBinary(ModelProtoSchema, model), externalData };
  }
}

type NodeOf<K extends LayerKind> = Extract<GraphNode, { kind: K }>;

/**
 * Writes one of our nodes: reads `inputs` (ONNX names, of shapes `inShapes`), must write the ONNX tensor `output`.
 * What ONNX cannot express exactly throws, naming the node: no model is written that computes something else.
 */
type OpWriter<K extends LayerKind> = (node: NodeOf<K>, b: OnnxBuilder, inputs: string[], output: string, inShapes: TensorShape[]) => void;

/** One float initializer shared by the nodes that read it (Clip's bounds), made on first use. */
function sharedScalar(b: OnnxBuilder, name: string, value: number): string {
  if (!b.initializers.some((t) => t.name === name)) b.floats(name, [], [value]);
  return name;
}

/** An activation as its ONNX node reading `input` and writing `output` (opset 13: Clip takes its bounds as inputs). */
function activationNode(b: OnnxBuilder, activation: Activation, input: string, output: string, name: string): void {
  switch (activation) {
    case 'relu':
      b.node('Relu', [input], [output], {}, name);
      return;
    case 'leaky':
      b.node('LeakyRelu', [input], [output], { alpha: { float: LEAKY_SLOPE } }, name);
      return;
    case 'relu6':
      b.node('Clip', [input, sharedScalar(b, 'relu6.min', 0), sharedScalar(b, 'relu6.max', 6)], [output], {}, name);
      return;
    case 'linear':
      b.node('Identity', [input], [output], {}, name);
  }
}

/** The node's op, then its fused activation as an ONNX node of its own writing `output`. */
function withActivation(b: OnnxBuilder, node: { name: string; activation: Activation }, output: string, op: (out: string) => void): void {
  if (node.activation === 'linear') return op(output);
  const inner = `${node.name}.${node.activation === 'leaky' ? 'preleaky' : node.activation === 'relu6' ? 'prerelu6' : 'preactivation'}`;
  op(inner);
  activationNode(b, node.activation, inner, output, `${node.name}.${node.activation}`);
}

/** A rank-2 view of a tensor for Gemm: a Flatten before it when it is an NCHW map (of 1×1, after a global pool). */
function asMatrix(b: OnnxBuilder, tensor: string, owner: string): string {
  if (b.rank.get(tensor) !== 4) return tensor;
  const flat = `${owner}.flatten`;
  b.node('Flatten', [tensor], [flat], { axis: 1 }, flat);
  b.rank.set(flat, 2);
  return flat;
}

/** ONNX pads [x1_begin, x2_begin, x1_end, x2_end] of a 2-D window: [top, left, bottom, right], as ours. */
const pads2d = (padding: number) => [padding, padding, padding, padding];

const writers: { [K in LayerKind]: OpWriter<K> } = {
  conv2d(node, b, [x], output) {
    const { kernel: k, stride: s } = node;
    const { groups, inPerGroup } = convGroups(node);
    const { top, left, bottom, right } = convPads(node);
    const weight = b.floats(`${node.name}.weight`, [node.outChannels, inPerGroup, k, k], node.weight);
    const bias = b.floats(`${node.name}.bias`, [node.outChannels], node.bias);
    withActivation(b, node, output, (out) =>
      b.node('Conv', [x, weight, bias], [out], { kernel_shape: [k, k], pads: [top, left, bottom, right], strides: [s, s], group: groups }, node.name),
    );
    b.rank.set(output, 4);
  },
  dense(node, b, [x], output) {
    const input = asMatrix(b, x, node.name);
    const weight = b.floats(`${node.name}.weight`, [node.outFeatures, node.inFeatures], node.weight);
    const bias = b.floats(`${node.name}.bias`, [node.outFeatures], node.bias);
    withActivation(b, node, output, (out) => b.node('Gemm', [input, weight, bias], [out], { transB: 1 }, node.name));
    b.rank.set(output, 2);
  },
  maxpool(node, b, [x], output) {
    const { size, stride, padding, ceilMode } = maxPoolWindow(node);
    b.node('MaxPool', [x], [output], { kernel_shape: [size, size], strides: [stride, stride], pads: pads2d(padding), ceil_mode: ceilMode ? 1 : 0 }, node.name);
    b.rank.set(output, 4);
  },
  // ONNX Runtime and PyTorch agree with our windows and divisors in ceil mode too (both tested against it).
  avgpool(node, b, [x], output) {
    const { size, stride, padding, ceilMode } = avgPoolWindow(node);
    b.node(
      'AveragePool',
      [x],
      [output],
      { kernel_shape: [size, size], strides: [stride, stride], pads: pads2d(padding), ceil_mode: ceilMode ? 1 : 0, count_include_pad: node.countIncludePad ? 1 : 0 },
      node.name,
    );
    b.rank.set(output, 4);
  },
  adaptiveAvgPool(node, b, [x], output, [input]) {
    const { outHeight, outWidth } = node;
    if (outHeight === input.height && outWidth === input.width) b.node('Identity', [x], [output], {}, node.name);
    else if (outHeight === 1 && outWidth === 1) b.node('GlobalAveragePool', [x], [output], {}, node.name);
    else if (input.height % outHeight === 0 && input.width % outWidth === 0) {
      // Windows that tile the map evenly: ⌊o·n / out⌋ = o·k and ⌈(o + 1)·n / out⌉ = (o + 1)·k.
      const kernel = [input.height / outHeight, input.width / outWidth];
      b.node('AveragePool', [x], [output], { kernel_shape: kernel, strides: kernel, pads: [0, 0, 0, 0], count_include_pad: 0 }, node.name);
    } else {
      throw new Error(
        `${node.name}: an adaptive average pool from ${input.height}×${input.width} to ${outHeight}×${outWidth} has windows of different sizes or overlapping ones, which no ONNX AveragePool computes; ONNX can write it only where the output is 1×1, the input's size, or divides it`,
      );
    }
    b.rank.set(output, 4);
  },
  globalAvgPool(node, b, [x], output) {
    b.node('GlobalAveragePool', [x], [output], {}, node.name);
    b.rank.set(output, 4);
  },
  flatten(node, b, [x], output) {
    b.node('Flatten', [x], [output], { axis: 1 }, node.name);
    b.rank.set(output, 2);
  },
  softmax(node, b, [x], output) {
    b.node('Softmax', [x], [output], { axis: 1 }, node.name);
    b.rank.set(output, b.rank.get(x)!);
  },
  add(node, b, [x, y], output) {
    withActivation(b, node, output, (out) => b.node('Add', [x, y], [out], {}, node.name));
    b.rank.set(output, b.rank.get(x)!);
  },
  concat(node, b, inputs, output) {
    const ranks = new Set(inputs.map((t) => b.rank.get(t)!));
    if (ranks.size !== 1) throw new Error(`${node.name}: concatenates feature maps with vectors, which ONNX's Concat does not`);
    b.node('Concat', inputs, [output], { axis: 1 }, node.name);
    b.rank.set(output, b.rank.get(inputs[0])!);
  },
  // scale · x + shift exactly: BatchNormalization with mean 0, variance 1 and ε 0 divides by √1.
  batchnorm(node, b, [x], output) {
    const scale = b.floats(`${node.name}.weight`, [node.channels], node.weight);
    const shift = b.floats(`${node.name}.bias`, [node.channels], node.bias);
    const mean = b.floats(`${node.name}.mean`, [node.channels], new Float32Array(node.channels));
    const variance = b.floats(`${node.name}.var`, [node.channels], new Float32Array(node.channels).fill(1));
    withActivation(b, node, output, (out) => b.node('BatchNormalization', [x, scale, shift, mean, variance], [out], { epsilon: { float: 0 } }, node.name));
    b.rank.set(output, b.rank.get(x)!);
  },
  // ONNX's LRN is ours: the same window, alpha / size, bias and beta (stored as float32).
  lrn(node, b, [x], output) {
    b.node('LRN', [x], [output], { size: node.size, alpha: { float: node.alpha }, beta: { float: node.beta }, bias: { float: node.bias } }, node.name);
    b.rank.set(output, 4);
  },
  activation(node, b, [x], output) {
    activationNode(b, node.activation, x, output, node.name);
    b.rank.set(output, b.rank.get(x)!);
  },
};

/** Our model as ONNX: input `input` [1, 3, H, W], output the scores, tensors named as our nodes. */
export function writeOnnx(model: Model, options: WriteOptions = {}): WrittenOnnx {
  const graph = graphOf(model);
  const b = new OnnxBuilder();
  const { channels, height, width } = model.input;
  b.input(inputTensor, [1, channels, height, width]);
  b.rank.set(inputTensor, 4);
  for (const node of model.nodes) {
    const inShapes = node.inputs.map((t) => graph.shapes.get(t)!);
    (writers[node.kind] as OpWriter<LayerKind>)(node as NodeOf<LayerKind>, b, node.inputs, node.output, inShapes);
  }
  const scores = graph.shapes.get(model.output)!;
  b.output(model.output, b.rank.get(model.output) === 4 ? [1, scores.channels, scores.height, scores.width] : [1, scores.channels]);
  return b.write(model.name, options);
}
