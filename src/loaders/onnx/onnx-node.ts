/**
 * What an op's mapping function sees of one ONNX node: its inputs (constants, or tensors computed at run time with
 * their dims), its attributes with ONNX's defaults, and the ways to give its output a value: a node of the importer's
 * graph, a folded constant, or another value (Identity).
 */
import { AttributeProto_AttributeType, type AttributeProto, type NodeProto } from 'onnx-buf';
import { ModelFormatError } from '../format-error.ts';
import { describeSource, Unsupported, type IrNode, type IrOp, type OnnxSource, type Pads } from './ir.ts';
import type { Constant } from './onnx-file.ts';

/** A value of the ONNX graph while it is imported. */
export type OnnxValue = { kind: 'constant'; constant: Constant } | { kind: 'tensor'; name: string; dims: number[] };

export interface RuntimeTensor {
  name: string;
  dims: number[];
}

/** What the importer keeps while it walks the graph, shared by every node's context. */
export interface ImportState {
  file: string;
  opset: number;
  values: Map<string, OnnxValue>;
  nodes: IrNode[];
  dims: Map<string, number[]>;
  /** Tensors some node or the graph output reads, by ONNX name. */
  read: ReadonlySet<string>;
  /** The value of a tensor attribute (Constant's `value`, ConstantOfShape's), read before the walk. */
  decodeTensor(attribute: AttributeProto): Constant;
}

export class NodeContext {
  constructor(
    readonly node: NodeProto,
    readonly source: OnnxSource,
    private readonly state: ImportState,
  ) {}

  get opset(): number {
    return this.state.opset;
  }

  /** A malformed node: the file is wrong, not merely beyond what we support. */
  fail(problem: string): never {
    throw new ModelFormatError(this.state.file, `${describeSource(this.source)}: ${problem}`);
  }

  inputCount(): number {
    let n = this.node.input.length;
    while (n > 0 && this.node.input[n - 1] === '') n--;
    return n;
  }

  /** Whether optional input i is given (ONNX leaves an empty name for an omitted one). */
  has(i: number): boolean {
    return i < this.node.input.length && this.node.input[i] !== '';
  }

  value(i: number): OnnxValue {
    const name = this.node.input[i];
    const value = name ? this.state.values.get(name) : undefined;
    if (!value) this.fail(`input ${i} "${name ?? ''}" has no value`);
    return value;
  }

  isConstant(i: number): boolean {
    return this.value(i).kind === 'constant';
  }

  tensor(i: number): RuntimeTensor {
    const value = this.value(i);
    if (value.kind !== 'tensor') throw new Unsupported(`input ${i} is a constant where a tensor computed from the photo is expected`);
    return value;
  }

  constant(i: number, what: string): Constant {
    const value = this.value(i);
    if (value.kind !== 'constant') throw new Unsupported(`its ${what} (input ${i}) is computed at run time; it must be a constant (an initializer or folded at load)`);
    return value.constant;
  }

  /** A float constant whose every value is finite: weights, biases, batch-norm statistics. */
  weights(i: number, what: string): Constant {
    const constant = this.constant(i, what);
    if (constant.type !== 'float') this.fail(`its ${what} "${this.node.input[i]}" is an integer tensor`);
    for (let k = 0; k < constant.values.length; k++) {
      if (!Number.isFinite(constant.values[k])) this.fail(`its ${what} "${this.node.input[i]}" holds ${constant.values[k]} at index ${k}: the weights are corrupt`);
    }
    return constant;
  }

  /** Integer values of a constant input (shapes, axes, pads). */
  ints(i: number, what: string): number[] {
    const constant = this.constant(i, what);
    return Array.from(constant.values, Math.trunc);
  }

  /** Whether output i is read by any node or is the graph's output. */
  outputUsed(i: number): boolean {
    const name = this.node.output[i];
    return name !== undefined && name !== '' && this.state.read.has(name);
  }

  // ---- attributes

  attribute(name: string): AttributeProto | undefined {
    return this.node.attribute.find((a) => a.name === name);
  }

  int(name: string, fallback: number): number {
    const a = this.attribute(name);
    return a ? Number(a.i) : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.attribute(name);
    return a ? (a.type === AttributeProto_AttributeType.INT ? Number(a.i) : a.f) : fallback;
  }

  intList(name: string, fallback: number[]): number[] {
    const a = this.attribute(name);
    return a ? a.ints.map(Number) : fallback;
  }

  floatList(name: string, fallback: number[]): number[] {
    const a = this.attribute(name);
    return a ? [...a.floats] : fallback;
  }

  string(name: string, fallback: string): string {
    const a = this.attribute(name);
    return a ? new TextDecoder().decode(a.s) : fallback;
  }

  tensorAttribute(name: string): Constant | undefined {
    const a = this.attribute(name);
    return a ? this.state.decodeTensor(a) : undefined;
  }

  /** Axis attribute normalised against a rank (ONNX allows negative axes). */
  axis(name: string, fallback: number, rank: number): number {
    const axis = this.int(name, fallback);
    if (axis < -rank || axis >= rank) this.fail(`${name} ${axis} is outside a rank-${rank} tensor`);
    return axis < 0 ? axis + rank : axis;
  }

  /** Pads of a 2-D window op as top, left, bottom, right: `pads`, or what `auto_pad` computes for this input. */
  windowPads(inDims: number[], kernel: [number, number], strides: [number, number], dilations: [number, number]): Pads {
    const autoPad = this.string('auto_pad', 'NOTSET');
    if (autoPad === 'NOTSET') {
      const pads = this.intList('pads', [0, 0, 0, 0]);
      if (pads.length !== 4) this.fail(`pads [${pads.join(', ')}] is not 4 values for a 2-D window`);
      if (pads.some((p) => p < 0)) throw new Unsupported(`negative pads [${pads.join(', ')}]`);
      return pads as Pads;
    }
    if (autoPad === 'VALID') return [0, 0, 0, 0];
    if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') this.fail(`auto_pad "${autoPad}" is not an ONNX value`);
    const total = [0, 1].map((a) => {
      const size = inDims[2 + a];
      const span = (kernel[a] - 1) * dilations[a] + 1;
      return Math.max(0, (Math.ceil(size / strides[a]) - 1) * strides[a] + span - size);
    });
    const first = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
    return [first[0], first[1], total[0] - first[0], total[1] - first[1]];
  }

  pair(name: string, fallback: number): [number, number] {
    const values = this.intList(name, [fallback, fallback]);
    if (values.length !== 2) throw new Unsupported(`${name} [${values.join(', ')}]: only 2-D windows are supported`);
    if (values.some((v) => v < 1)) this.fail(`${name} [${values.join(', ')}] must be positive`);
    return values as [number, number];
  }

  // ---- outputs

  /** Output `index` is a node of the importer's graph that reads `inputs` and writes a tensor of `dims`. */
  emit(op: IrOp, inputs: string[], dims: number[], index = 0): void {
    const name = this.outputName(index);
    if (dims.some((d) => !Number.isInteger(d) || d < 1)) this.fail(`its output would have dims [${dims.join(', ')}]`);
    this.state.nodes.push({ op, inputs, output: name, source: this.source });
    this.state.dims.set(name, dims);
    this.state.values.set(name, { kind: 'tensor', name, dims });
  }

  setConstant(constant: Constant, index = 0): void {
    this.state.values.set(this.outputName(index), { kind: 'constant', constant });
  }

  /** Output `index` is another value (Identity, Dropout, a Flatten of a vector): with new dims when given. */
  alias(value: OnnxValue, dims?: number[], index = 0): void {
    this.state.values.set(this.outputName(index), dims && value.kind === 'tensor' ? { ...value, dims } : value);
  }

  private outputName(index: number): string {
    const name = this.node.output[index];
    if (!name) this.fail(`has no output ${index}`);
    return name;
  }
}
