/**
 * The ONNX operators the importer reads (opsets 7–21), one small function each: it reads the node's inputs and
 * attributes with ONNX's defaults for that opset and gives its output a value, a node of the importer's graph
 * (`ir.ts`) or a constant folded at load. Whether our ops can run that node is decided later (`lower.ts`), so that a
 * dilated Conv is read here and reported there as needing dilation 1. An op type missing from
 * {@link onnxOps} is reported with every other unsupported node of the model at once.
 */
import { arithmetic, broadcastConstants, castNode, concatConstants, constantNode, constantOfShapeNode, gatherNode, shapeNode, sliceNode, squeezeNode } from './constant-ops.ts';
import { Unsupported, type OnnxActivation, type Pads } from './ir.ts';
import { elementsOf, type Constant } from './onnx-file.ts';
import type { NodeContext, RuntimeTensor } from './onnx-node.ts';

export type OnnxOpMapper = (n: NodeContext) => void;

function spatial(n: NodeContext, x: RuntimeTensor): void {
  if (x.dims.length !== 4) throw new Unsupported(`its input has dims [${x.dims.join(', ')}]; only NCHW feature maps (rank 4) are supported`);
}

/** Output size of a window along one axis, as ONNX (and PyTorch) define it, ceil mode included. */
export function windowSize(size: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number, ceil: boolean): number {
  const span = (kernel - 1) * dilation + 1;
  const room = size + padBegin + padEnd - span;
  let out = (ceil ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  // A last window that would start in the end padding is dropped.
  if (ceil && (out - 1) * stride >= size + padBegin) out--;
  return out;
}

function windowDims(x: RuntimeTensor, channels: number, kernel: [number, number], strides: [number, number], pads: Pads, dilations: [number, number], ceil: boolean): number[] {
  return [
    1,
    channels,
    windowSize(x.dims[2], kernel[0], strides[0], pads[0], pads[2], dilations[0], ceil),
    windowSize(x.dims[3], kernel[1], strides[1], pads[1], pads[3], dilations[1], ceil),
  ];
}

function conv(n: NodeContext): void {
  const x = n.tensor(0);
  spatial(n, x);
  const w = n.weights(1, 'weight');
  if (w.dims.length !== 4) throw new Unsupported(`a weight of dims [${w.dims.join(', ')}]; only 2-D convolutions are supported`);
  const [outChannels, perGroup, kh, kw] = w.dims;
  const group = n.int('group', 1);
  if (group < 1 || perGroup * group !== x.dims[1] || outChannels % group !== 0) {
    n.fail(`weight [${w.dims.join(', ')}] with group ${group} does not fit an input of ${x.dims[1]} channels`);
  }
  const kernel = n.pair('kernel_shape', 0);
  if (n.attribute('kernel_shape') && (kernel[0] !== kh || kernel[1] !== kw)) n.fail(`kernel_shape [${kernel}] differs from the weight's [${kh}, ${kw}]`);
  let bias = new Float32Array(outChannels);
  if (n.has(2)) {
    const b = n.weights(2, 'bias');
    if (b.values.length !== outChannels) n.fail(`has ${b.values.length} biases for ${outChannels} output channels`);
    bias = Float32Array.from(b.values);
  }
  const strides = n.pair('strides', 1);
  const dilations = n.pair('dilations', 1);
  const pads = n.windowPads(x.dims, [kh, kw], strides, dilations);
  n.emit(
    { op: 'conv', weight: Float32Array.from(w.values), bias, inChannels: x.dims[1], outChannels, kernel: [kh, kw], strides, pads, dilations, group, activation: null },
    [x.name],
    windowDims(x, outChannels, [kh, kw], strides, pads, dilations, false),
  );
}

function pool(type: 'max' | 'avg'): OnnxOpMapper {
  return (n) => {
    const x = n.tensor(0);
    spatial(n, x);
    if (type === 'max' && n.outputUsed(1)) throw new Unsupported('its Indices output is read; only the pooled values are supported');
    if (type === 'max' && n.int('storage_order', 0) !== 0) throw new Unsupported('storage_order 1');
    const kernel = n.pair('kernel_shape', 1);
    if (!n.attribute('kernel_shape')) n.fail('has no kernel_shape');
    const strides = n.pair('strides', 1);
    const dilations = n.pair('dilations', 1);
    const pads = n.windowPads(x.dims, kernel, strides, dilations);
    const ceil = n.int('ceil_mode', 0) === 1;
    const countIncludePad = n.int('count_include_pad', 0) === 1;
    // A 1×1 window of stride 1 moves nothing (PyTorch's adaptive pool to the size it already has).
    if ([...kernel, ...strides].every((v) => v === 1) && pads.every((p) => p === 0)) return n.alias(n.value(0));
    n.emit({ op: 'pool', type, kernel, strides, pads, ceil, countIncludePad, dilations }, [x.name], windowDims(x, x.dims[1], kernel, strides, pads, dilations, ceil));
  };
}

function globalAveragePool(n: NodeContext): void {
  const x = n.tensor(0);
  spatial(n, x);
  n.emit({ op: 'globalAvgPool' }, [x.name], [1, x.dims[1], 1, 1]);
}

/** A tensor that holds one vector (batch 1 and every dim but one 1, or a rank-4 map of 1×1): its length, else null. */
function vectorLength(dims: readonly number[]): number | null {
  const total = elementsOf(dims);
  if (dims.length >= 2 && dims[0] === 1 && dims[1] === total) return total;
  return dims.length === 1 ? total : null;
}

/** The dense layer of a Gemm or MatMul: weight [out][in] from a constant, bias from an optional constant. */
function dense(n: NodeContext, x: RuntimeTensor, weight: Float32Array, inFeatures: number, outFeatures: number, bias: Float32Array): void {
  if (vectorLength(x.dims) !== inFeatures) {
    throw new Unsupported(`its input has dims [${x.dims.join(', ')}]; a fully connected layer here takes one vector of ${inFeatures} features (batch 1)`);
  }
  n.emit({ op: 'dense', weight, bias, inFeatures, outFeatures, activation: null }, [x.name], x.dims.length === 1 ? [outFeatures] : [1, outFeatures]);
}

/** A bias that broadcasts to `count` outputs: a scalar, [count], or [1, count]. */
function biasVector(n: NodeContext, c: Constant, count: number, scale: number): Float32Array {
  if (c.values.length === 1) return new Float32Array(count).fill(c.values[0] * scale);
  if (c.values.length !== count || c.dims[c.dims.length - 1] !== count) throw new Unsupported(`a bias of dims [${c.dims.join(', ')}] that does not broadcast over ${count} outputs`);
  return Float32Array.from(c.values, (v) => v * scale);
}

function gemm(n: NodeContext): void {
  const x = n.tensor(0);
  if (n.int('transA', 0) !== 0) throw new Unsupported('transA 1 (the photo batch transposed)');
  const b = n.weights(1, 'weight');
  if (b.dims.length !== 2) n.fail(`B has dims [${b.dims.join(', ')}]`);
  const transB = n.int('transB', 0) === 1;
  const [outFeatures, inFeatures] = transB ? b.dims : [b.dims[1], b.dims[0]];
  const alpha = n.float('alpha', 1);
  const beta = n.float('beta', 1);
  const weight = new Float32Array(outFeatures * inFeatures);
  for (let o = 0; o < outFeatures; o++) {
    for (let i = 0; i < inFeatures; i++) weight[o * inFeatures + i] = alpha * (transB ? b.values[o * inFeatures + i] : b.values[i * outFeatures + o]);
  }
  const bias = n.has(2) ? biasVector(n, n.weights(2, 'bias C'), outFeatures, beta) : new Float32Array(outFeatures);
  dense(n, x, weight, inFeatures, outFeatures, bias);
}

function matMul(n: NodeContext): void {
  const x = n.tensor(0);
  if (!n.isConstant(1)) throw new Unsupported('multiplies two tensors computed at run time; only MatMul by a constant weight is supported');
  const b = n.weights(1, 'weight');
  if (b.dims.length !== 2) throw new Unsupported(`a weight of dims [${b.dims.join(', ')}]; only 2-D weights are supported`);
  const [inFeatures, outFeatures] = b.dims;
  const weight = new Float32Array(outFeatures * inFeatures);
  for (let o = 0; o < outFeatures; o++) for (let i = 0; i < inFeatures; i++) weight[o * inFeatures + i] = b.values[i * outFeatures + o];
  dense(n, x, weight, inFeatures, outFeatures, new Float32Array(outFeatures));
}

/** A constant that broadcasts over a tensor per channel (axis 1) only: its value per channel, else null. */
function perChannel(c: Constant, dims: readonly number[]): Float32Array | null {
  const channels = dims[1] ?? dims[0];
  if (c.values.length === 1 && c.dims.length <= dims.length) return new Float32Array(channels).fill(c.values[0]);
  if (c.dims.length > dims.length) return null;
  const padded = [...new Array<number>(dims.length - c.dims.length).fill(1), ...c.dims];
  const channelAxis = dims.length === 1 ? 0 : 1;
  const ok = padded.every((d, i) => (i === channelAxis ? d === channels : d === 1));
  return ok ? Float32Array.from(c.values) : null;
}

/** Add, Sub, Mul, Div: folded on constants; Add of two tensors; a per-channel scale or shift of one tensor. */
function binary(opType: 'Add' | 'Sub' | 'Mul' | 'Div'): OnnxOpMapper {
  return (n) => {
    const [a, b] = [n.value(0), n.value(1)];
    if (a.kind === 'constant' && b.kind === 'constant') return n.setConstant(broadcastConstants(a.constant, b.constant, arithmetic[opType], opType));
    if (a.kind === 'tensor' && b.kind === 'tensor') {
      if (opType !== 'Add') throw new Unsupported(`${opType} of two tensors computed at run time; only Add is supported`);
      if (a.dims.join() !== b.dims.join() && elementsOf(a.dims) !== elementsOf(b.dims)) {
        throw new Unsupported(`adds tensors of dims [${a.dims.join(', ')}] and [${b.dims.join(', ')}]; only same-shape adds are supported`);
      }
      return n.emit({ op: 'add', activation: null }, [a.name, b.name], a.dims);
    }
    const [x, c, constantFirst] = a.kind === 'tensor' ? [a, (b as { constant: Constant }).constant, false] : [b as RuntimeTensor, a.constant, true];
    const v = perChannel(c, x.dims);
    if (!v) throw new Unsupported(`${opType} by a constant of dims [${c.dims.join(', ')}], which is not one value per channel of [${x.dims.join(', ')}]`);
    const ones = new Float32Array(v.length).fill(1);
    let scale: Float32Array = ones;
    let shift: Float32Array = new Float32Array(v.length);
    if (opType === 'Add') shift = v;
    else if (opType === 'Sub') [scale, shift] = constantFirst ? [ones.map(() => -1), v] : [ones, v.map((s) => -s)];
    else if (opType === 'Mul') scale = v;
    else if (constantFirst) throw new Unsupported('divides a constant by a tensor');
    else scale = v.map((s) => 1 / s);
    n.emit({ op: 'affine', scale, shift, from: opType, activation: null }, [x.name], x.dims);
  };
}

function sum(n: NodeContext): void {
  const count = n.inputCount();
  if (count === 1) return n.alias(n.value(0));
  if (count !== 2) throw new Unsupported(`sums ${count} tensors; only two are supported`);
  binary('Add')(n);
}

function batchNormalization(n: NodeContext): void {
  const x = n.tensor(0);
  if (n.int('training_mode', 0) === 1 || [1, 2, 3, 4].some((i) => n.outputUsed(i))) throw new Unsupported('training mode (running statistics as outputs)');
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => n.weights(i, ['scale', 'bias', 'mean', 'variance'][i - 1]).values);
  const channels = x.dims[1];
  if ([scale, bias, mean, variance].some((v) => v.length !== channels)) throw new Unsupported(`statistics per element rather than per channel (spatial 0)`);
  const epsilon = n.float('epsilon', 1e-5);
  const k = Float32Array.from(scale, (s, c) => s / Math.sqrt(variance[c] + epsilon));
  const shift = Float32Array.from(bias, (b, c) => b - mean[c] * k[c]);
  n.emit({ op: 'affine', scale: k, shift, from: 'BatchNormalization', activation: null }, [x.name], x.dims);
}

function activation(read: (n: NodeContext) => OnnxActivation): OnnxOpMapper {
  return (n) => {
    const x = n.tensor(0);
    n.emit({ op: 'activation', activation: read(n) }, [x.name], x.dims);
  };
}

function clipBounds(n: NodeContext): OnnxActivation {
  if (n.opset < 11) return { kind: 'clip', min: n.float('min', -Infinity), max: n.float('max', Infinity) };
  const bound = (i: number, fallback: number) => (n.has(i) ? n.constant(i, i === 1 ? 'min' : 'max').values[0] : fallback);
  return { kind: 'clip', min: bound(1, -Infinity), max: bound(2, Infinity) };
}

function flatten(n: NodeContext): void {
  const value = n.value(0);
  const dims = value.kind === 'tensor' ? value.dims : value.constant.dims;
  const axis = n.axis('axis', 1, dims.length + 1);
  const out = [elementsOf(dims.slice(0, axis)), elementsOf(dims.slice(axis))];
  if (value.kind === 'constant') return n.setConstant({ ...value.constant, dims: out });
  if (out[0] !== 1) throw new Unsupported(`flattens [${dims.join(', ')}] into a matrix [${out.join(', ')}]; only a flat vector is supported`);
  toVector(n, value, out);
}

/** A tensor laid out as a vector: nothing moves when it is one already (a 1×1 map), else our flatten (CHW order). */
function toVector(n: NodeContext, x: RuntimeTensor, dims: number[]): void {
  if (vectorLength(x.dims) !== null) return n.alias({ kind: 'tensor', ...x }, dims);
  n.emit({ op: 'flatten' }, [x.name], dims);
}

function reshape(n: NodeContext): void {
  const value = n.value(0);
  const dims = value.kind === 'tensor' ? value.dims : value.constant.dims;
  const shape = n.ints(1, 'shape');
  const allowZero = n.int('allowzero', 0) === 1;
  const target = shape.map((d, i) => (d === 0 && !allowZero ? dims[i] : d));
  const total = elementsOf(dims);
  const unknown = target.indexOf(-1);
  if (unknown >= 0) target[unknown] = total / elementsOf(target.filter((_, i) => i !== unknown));
  if (!Number.isInteger(target[unknown] ?? 0) || elementsOf(target) !== total) n.fail(`reshapes [${dims.join(', ')}] into [${shape.join(', ')}], which does not fit`);
  if (value.kind === 'constant') return n.setConstant({ ...value.constant, dims: target });
  if (target.join() === dims.join()) return n.alias(value);
  if (vectorLength(target) === null) throw new Unsupported(`reshapes [${dims.join(', ')}] into [${target.join(', ')}]; only a reshape to a flat vector is supported`);
  toVector(n, value, target);
}

function softmax(n: NodeContext): void {
  const x = n.tensor(0);
  const rank = x.dims.length;
  const axis = n.axis('axis', n.opset >= 13 ? -1 : 1, rank);
  const length = vectorLength(x.dims);
  // Before opset 13 Softmax flattens from `axis` on; from 13 it runs along `axis` alone.
  const overVector = n.opset >= 13 ? x.dims[axis] === elementsOf(x.dims) : elementsOf(x.dims.slice(0, axis)) === 1;
  if (length === null || !overVector) throw new Unsupported(`softmax along axis ${axis} of [${x.dims.join(', ')}]; only a softmax over the class vector is supported`);
  n.emit({ op: 'softmax' }, [x.name], x.dims);
}

function passThrough(n: NodeContext): void {
  if (n.node.opType === 'Dropout' && n.outputUsed(1)) throw new Unsupported('its mask output is read');
  n.alias(n.value(0));
}

function concat(n: NodeContext): void {
  const count = n.inputCount();
  const values = Array.from({ length: count }, (_, i) => n.value(i));
  const axisAttribute = n.int('axis', n.opset < 11 ? 1 : NaN);
  if (Number.isNaN(axisAttribute)) n.fail('has no axis');
  if (values.every((v) => v.kind === 'constant')) {
    return n.setConstant(concatConstants(n, values.map((v) => (v as { constant: Constant }).constant), axisAttribute));
  }
  // torchvision's DenseNet concatenates a layer's one input (torch.cat([x], 1)): the tensor itself.
  if (count === 1) return n.alias(values[0]);
  const tensors = values.map((v, i) => (v.kind === 'tensor' ? v : n.tensor(i)));
  const rank = tensors[0].dims.length;
  const axis = axisAttribute < 0 ? axisAttribute + rank : axisAttribute;
  const dims = [...tensors[0].dims];
  dims[axis] = tensors.reduce((s, t) => s + t.dims[axis], 0);
  n.emit({ op: 'concat', axis }, tensors.map((t) => t.name), dims);
}

function lrn(n: NodeContext): void {
  const x = n.tensor(0);
  spatial(n, x);
  n.emit({ op: 'lrn', size: n.int('size', 1), alpha: n.float('alpha', 1e-4), beta: n.float('beta', 0.75), bias: n.float('bias', 1) }, [x.name], x.dims);
}

function pad(n: NodeContext): void {
  const x = n.tensor(0);
  spatial(n, x);
  const mode = n.string('mode', 'constant');
  if (mode !== 'constant') throw new Unsupported(`mode "${mode}"; only constant padding folds into a conv or pool`);
  let pads: number[];
  let value: number;
  if (n.opset < 11) {
    pads = n.intList('pads', []);
    value = n.float('value', 0);
  } else {
    pads = n.ints(1, 'pads');
    value = n.has(2) ? n.constant(2, 'constant_value').values[0] : 0;
    if (n.has(3)) {
      // opset 18: pads for the listed axes only.
      const axes = n.ints(3, 'axes').map((a) => (a < 0 ? a + 4 : a));
      const full = new Array<number>(8).fill(0);
      axes.forEach((a, i) => ((full[a] = pads[i]), (full[a + 4] = pads[i + axes.length])));
      pads = full;
    }
  }
  if (pads.length !== 8) n.fail(`pads [${pads.join(', ')}] is not 8 values for an NCHW tensor`);
  if (pads[0] || pads[1] || pads[4] || pads[5]) throw new Unsupported(`pads the batch or channel axis ([${pads.join(', ')}])`);
  if (pads.some((p) => p < 0)) throw new Unsupported(`negative pads (a crop) [${pads.join(', ')}]`);
  const spatialPads: Pads = [pads[2], pads[3], pads[6], pads[7]];
  n.emit({ op: 'pad', pads: spatialPads, value }, [x.name], [1, x.dims[1], x.dims[2] + pads[2] + pads[6], x.dims[3] + pads[3] + pads[7]]);
}

/** Every ONNX op type the importer reads, default domain. */
export const onnxOps: Record<string, OnnxOpMapper> = {
  Conv: conv,
  Relu: activation(() => ({ kind: 'relu' })),
  LeakyRelu: activation((n) => ({ kind: 'leaky', alpha: n.float('alpha', 0.01) })),
  Clip: activation(clipBounds),
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div'),
  Sum: sum,
  Concat: concat,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalAveragePool,
  BatchNormalization: batchNormalization,
  LRN: lrn,
  Flatten: flatten,
  Reshape: reshape,
  Gemm: gemm,
  MatMul: matMul,
  Softmax: softmax,
  Dropout: passThrough,
  Identity: passThrough,
  Pad: pad,
  Constant: constantNode,
  Shape: shapeNode,
  Gather: gatherNode,
  Unsqueeze: squeezeNode(false),
  Squeeze: squeezeNode(true),
  Cast: castNode,
  Slice: sliceNode,
  ConstantOfShape: constantOfShapeNode,
};

/** Ops that only fold constants (listed apart in the README). */
export const constantOnlyOps = ['Constant', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Cast', 'Slice', 'ConstantOfShape'];
