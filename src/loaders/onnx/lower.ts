/**
 * The importer's graph onto our ops: one function per node kind of `ir.ts`, each returning the layer (spec and
 * weights) or throwing {@link Unsupported} with what our ops cannot compute exactly. Nothing is approximated: a node
 * is lowered only onto an op that gives the same value at every output ONNX defines (the caller also checks the
 * output shape against ONNX's).
 */
import type { Activation, Layer } from '../../ops/layers.ts';
import { pooledSize, windowSpan, type PoolWindow } from '../../ops/common/pool-window.ts';
import type { TensorShape } from '../../model/shapes.ts';
import { Unsupported, type IrOp, type IrNode, type OnnxActivation, type Pads } from './ir.ts';
import { windowSize } from './onnx-ops.ts';

/** The slope of our fused leaky ReLU (darknet's), to float32 precision as exporters write it. */
const leakySlope = 0.1;

/** Our activation that computes an ONNX activation (fused into an op or on its own), or null when none does. */
export function fusedActivation(activation: OnnxActivation | null): Activation | null {
  if (activation === null) return 'linear';
  switch (activation.kind) {
    case 'relu':
      return 'relu';
    case 'leaky':
      return Math.abs(activation.alpha - leakySlope) < 1e-6 ? 'leaky' : null;
    case 'clip':
      if (activation.min !== 0) return null;
      // Before opset 11 an absent max is float32's largest value.
      if (activation.max >= 3.4e38) return 'relu';
      return activation.max === 6 ? 'relu6' : null;
  }
}

function describeActivation(a: OnnxActivation): string {
  if (a.kind === 'relu') return 'Relu';
  if (a.kind === 'leaky') return `LeakyRelu with alpha ${+a.alpha.toPrecision(6)}`;
  return a.min === 0 && a.max === 6 ? 'Clip to [0, 6] (ReLU6)' : `Clip to [${a.min}, ${a.max}]`;
}

const ourActivations = 'our ops compute Relu, LeakyRelu with alpha 0.1, Clip to [0, 6] (ReLU6) and Clip to [0, ∞)';

export interface LowerContext {
  name: string;
  inShapes: TensorShape[];
}

type Lowering<K extends IrOp['op']> = (op: Extract<IrOp, { op: K }>, context: LowerContext) => Layer;

function activationOf(op: { activation: OnnxActivation | null }): Activation {
  const activation = fusedActivation(op.activation);
  if (activation === null) throw new Unsupported(`${describeActivation(op.activation!)} fused here; ${ourActivations}`);
  return activation;
}

const describePads = (pads: Pads) => `pads [${pads.join(', ')}] (top, left, bottom, right)`;

/** One output along an axis as the pool ops see it: the in-bounds part of its window, and its padded extent. */
type AxisWindow = { start: number; end: number; padded: number };

/**
 * ONNX's (and ONNX Runtime's, PyTorch's) windows along an axis of `n` inputs: output o starts at o·s − begin, ends
 * at the far edge of the end padding at the latest (what count_include_pad divides by).
 */
function onnxWindows(n: number, kernel: number, stride: number, begin: number, end: number, ceil: boolean): AxisWindow[] {
  const out = windowSize(n, kernel, stride, begin, end, 1, ceil);
  return Array.from({ length: Math.max(0, out) }, (_, o) => {
    const first = o * stride - begin;
    const last = Math.min(first + kernel, n + end);
    return { start: Math.max(0, first), end: Math.min(n, last), padded: last - first };
  });
}

/** Our pool's windows along an axis, or null when the window does not fit. */
function ourWindows(n: number, window: PoolWindow): AxisWindow[] | null {
  let out: number;
  try {
    out = pooledSize('', n, window);
  } catch {
    return null;
  }
  return Array.from({ length: out }, (_, o) => windowSpan(o, n, window));
}

/** Whether two axes pool the same positions (and, with `padded`, divide by the same counts). */
function sameWindows(ours: AxisWindow[] | null, theirs: AxisWindow[], padded: boolean): boolean {
  return ours !== null && ours.length === theirs.length && ours.every((w, o) => w.start === theirs[o].start && w.end === theirs[o].end && (!padded || w.padded === theirs[o].padded));
}

/**
 * Our pool window (padding on every side, ceil mode) that pools exactly ONNX's windows: the begin pads are ours;
 * end pads that differ from them are fine where they change no window (a max pool's pads [0, 0, 1, 1] that only let
 * a last partial window in is our ceil mode). Null when there is none.
 */
function poolWindowFor(op: Extract<IrOp, { op: 'pool' }>, input: TensorShape): PoolWindow | null {
  const [top, left, bottom, right] = op.pads;
  const [size, stride] = [op.kernel[0], op.strides[0]];
  if (top !== left) return null;
  const padded = op.type === 'avg' && op.countIncludePad;
  const rows = onnxWindows(input.height, size, stride, top, bottom, op.ceil);
  const cols = onnxWindows(input.width, size, stride, left, right, op.ceil);
  // ONNX's own ceil mode first, so that a model written by us reads back as it was.
  for (const ceilMode of [op.ceil, !op.ceil]) {
    const window: PoolWindow = { size, stride, padding: top, ceilMode };
    if (sameWindows(ourWindows(input.height, window), rows, padded) && sameWindows(ourWindows(input.width, window), cols, padded)) return window;
  }
  return null;
}

const lowerings: { [K in IrOp['op']]: Lowering<K> } = {
  conv(op, { name }) {
    const [kh, kw] = op.kernel;
    if (op.dilations.some((d) => d !== 1)) throw new Unsupported(`dilations [${op.dilations.join(', ')}]; only dilation 1 is supported`);
    if (kh !== kw) throw new Unsupported(`a ${kh}×${kw} kernel; only square kernels are supported`);
    if (op.strides[0] !== op.strides[1]) throw new Unsupported(`strides [${op.strides.join(', ')}]; only equal strides are supported`);
    if (op.pads.some((p) => p >= kh)) throw new Unsupported(`${describePads(op.pads)} on a ${kh}×${kh} kernel; our conv2d pads each side by less than the kernel`);
    const symmetric = op.pads.every((p) => p === op.pads[0]);
    return {
      kind: 'conv2d',
      name,
      kernel: kh,
      stride: op.strides[0],
      padding: symmetric ? op.pads[0] : 0,
      inChannels: op.inChannels,
      outChannels: op.outChannels,
      activation: activationOf(op),
      ...(op.group !== 1 ? { groups: op.group } : {}),
      ...(symmetric ? {} : { pads: [...op.pads] as Pads }),
      weight: op.weight,
      bias: op.bias,
    };
  },
  dense: (op, { name }) => ({
    kind: 'dense',
    name,
    inFeatures: op.inFeatures,
    outFeatures: op.outFeatures,
    activation: activationOf(op),
    weight: op.weight,
    bias: op.bias,
  }),
  pool(op, { name, inShapes: [input] }) {
    const [kh, kw] = op.kernel;
    // An average over the whole map (PyTorch's avg_pool2d(x, 8) on an 8×8 map) is a global average pool.
    if (op.type === 'avg' && op.pads.every((p) => p === 0) && kh === input.height && kw === input.width) return { kind: 'globalAvgPool', name };
    if (op.dilations.some((d) => d !== 1)) throw new Unsupported(`dilations [${op.dilations.join(', ')}]; only dilation 1 is supported`);
    if (kh !== kw || op.strides[0] !== op.strides[1]) throw new Unsupported(`a ${kh}×${kw} window with strides [${op.strides.join(', ')}]; only square windows with equal strides are supported`);
    if (op.pads.some((p) => p > Math.floor(kh / 2))) {
      throw new Unsupported(`${describePads(op.pads)} on a ${kh}×${kh} window; our pools pad a side by at most half the window (${Math.floor(kh / 2)}), as PyTorch does`);
    }
    const window = poolWindowFor(op, input);
    if (!window) {
      throw new Unsupported(
        `${describePads(op.pads)}${op.ceil ? ' in ceil mode' : ''} over its ${input.height}×${input.width} input; our pools pad every side alike, and no padding and ceil mode of ours pools the same windows${op.type === 'avg' && op.countIncludePad ? ' with the same divisors' : ''}`,
      );
    }
    if (op.type === 'max') {
      return { kind: 'maxpool', name, size: kh, stride: window.stride, ...(window.padding ? { padding: window.padding } : {}), ...(window.ceilMode ? { ceilMode: true } : {}) };
    }
    return { kind: 'avgpool', name, size: kh, stride: window.stride, padding: window.padding, countIncludePad: op.countIncludePad, ceilMode: window.ceilMode };
  },
  globalAvgPool: (_op, { name }) => ({ kind: 'globalAvgPool', name }),
  add: (op, { name }) => ({ kind: 'add', name, activation: activationOf(op) }),
  flatten: (_op, { name }) => ({ kind: 'flatten', name }),
  softmax: (_op, { name }) => ({ kind: 'softmax', name }),
  activation(op, { name }) {
    const activation = fusedActivation(op.activation);
    if (activation === null) throw new Unsupported(`${describeActivation(op.activation)}; ${ourActivations}`);
    return { kind: 'activation', name, activation };
  },
  affine(op, { name, inShapes: [input] }) {
    if (op.scale.length !== input.channels) throw new Unsupported(`a per-channel ${op.from} of ${op.scale.length} values over ${input.channels} channels`);
    return { kind: 'batchnorm', name, channels: input.channels, activation: activationOf(op), weight: op.scale, bias: op.shift };
  },
  pad: (op) => {
    throw new Unsupported(`a Pad (value ${op.value}) that is not right before a Conv or pool it folds into; our ops pad only inside a conv or pool`);
  },
  concat(op, { name }) {
    if (op.axis !== 1) throw new Unsupported(`concatenates along axis ${op.axis}; our concat stacks channels (axis 1)`);
    return { kind: 'concat', name };
  },
  lrn(op, { name }) {
    if (op.size < 1 || !(op.bias > 0) || !(op.alpha >= 0)) throw new Unsupported(`size ${op.size}, alpha ${op.alpha}, bias ${op.bias}; our lrn takes size ≥ 1, alpha ≥ 0 and bias > 0`);
    return { kind: 'lrn', name, size: op.size, alpha: op.alpha, beta: op.beta, bias: op.bias };
  },
};

/** One node of the importer's graph as our layer, or {@link Unsupported}. */
export function lowerNode(node: IrNode, context: LowerContext): Layer {
  return (lowerings[node.op.op] as Lowering<IrOp['op']>)(node.op, context);
}
