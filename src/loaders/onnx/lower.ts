/**
 * The importer's graph onto our ops: one function per node kind of `ir.ts`, each returning the layer (spec and
 * weights) or throwing {@link Unsupported} with what is missing. When an op lands (grouped or asymmetric convs, pool
 * padding, avgpool, concat, batchnorm, LRN, standalone activations), its ONNX mapping is one function here.
 */
import type { Activation, Layer } from '../../ops/layers.ts';
import { windowOutput } from '../../ops/common/window.ts';
import type { TensorShape } from '../../model/shapes.ts';
import { Unsupported, type IrNode, type IrOp, type OnnxActivation } from './ir.ts';

/** The slope of our fused leaky ReLU (darknet's), to float32 precision as exporters write it. */
const leakySlope = 0.1;

/** The fused activation of our conv2d, dense and add ops that computes an ONNX activation, or null when none does. */
export function fusedActivation(activation: OnnxActivation | null): Activation | null {
  if (activation === null) return 'linear';
  switch (activation.kind) {
    case 'relu':
      return 'relu';
    case 'leaky':
      return Math.abs(activation.alpha - leakySlope) < 1e-6 ? 'leaky' : null;
    case 'clip':
      // Before opset 11 an absent max is float32's largest value.
      return activation.min === 0 && activation.max >= 3.4e38 ? 'relu' : null;
  }
}

function describeActivation(a: OnnxActivation): string {
  if (a.kind === 'relu') return 'Relu';
  if (a.kind === 'leaky') return `LeakyRelu with alpha ${+a.alpha.toPrecision(6)}`;
  return a.min === 0 && a.max === 6 ? 'Clip to [0, 6] (ReLU6)' : `Clip to [${a.min}, ${a.max}]`;
}

export interface LowerContext {
  name: string;
  inShapes: TensorShape[];
}

type Lowering<K extends IrOp['op']> = (op: Extract<IrOp, { op: K }>, context: LowerContext) => Layer;

function activationOf(op: { activation: OnnxActivation | null }): Activation {
  const activation = fusedActivation(op.activation);
  if (activation === null) throw new Unsupported(`${describeActivation(op.activation!)} fused here, which our ops do not compute`);
  return activation;
}

const notYet = (what: string, op: string) => {
  throw new Unsupported(`${what}: needs the ${op} op, which this build does not have yet`);
};

const lowerings: { [K in IrOp['op']]: Lowering<K> } = {
  conv(op, { name }) {
    const [kh, kw] = op.kernel;
    if (op.group !== 1) notYet(`group ${op.group}`, 'grouped conv2d');
    if (op.dilations.some((d) => d !== 1)) throw new Unsupported(`dilations [${op.dilations.join(', ')}]; only dilation 1 is supported`);
    if (kh !== kw) throw new Unsupported(`a ${kh}×${kw} kernel; only square kernels are supported`);
    if (op.strides[0] !== op.strides[1]) throw new Unsupported(`strides [${op.strides.join(', ')}]; only equal strides are supported`);
    if (op.pads.some((p) => p !== op.pads[0])) notYet(`asymmetric pads [${op.pads.join(', ')}] (top, left, bottom, right)`, 'conv2d with per-side pads');
    if (op.pads[0] >= kh) throw new Unsupported(`pads ${op.pads[0]} on a ${kh}×${kh} kernel; pads must be smaller than the kernel`);
    return {
      kind: 'conv2d',
      name,
      kernel: kh,
      stride: op.strides[0],
      padding: op.pads[0],
      inChannels: op.inChannels,
      outChannels: op.outChannels,
      activation: activationOf(op),
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
    const unpadded = op.pads.every((p) => p === 0);
    if (op.type === 'avg') {
      // An average over the whole map (PyTorch's avg_pool2d(x, 8) on an 8×8 map) is a global average pool.
      if (unpadded && kh === input.height && kw === input.width) return { kind: 'globalAvgPool', name };
      notYet(`a ${kh}×${kw} average pool over a ${input.height}×${input.width} map`, 'avgpool');
    }
    if (op.dilations.some((d) => d !== 1)) throw new Unsupported(`dilations [${op.dilations.join(', ')}]; only dilation 1 is supported`);
    if (kh !== kw || op.strides[0] !== op.strides[1]) throw new Unsupported(`a ${kh}×${kw} window with strides [${op.strides.join(', ')}]; only square windows with equal strides are supported`);
    if (!unpadded) notYet(`pads [${op.pads.join(', ')}]`, 'max pool with padding');
    const stride = op.strides[0];
    const ours = [input.height, input.width].map((s) => windowOutput(name, s, kh, stride, 0));
    const theirs = [input.height, input.width].map((s) => Math.ceil((s - kh) / stride) + 1);
    if (op.ceil && ours.some((o, i) => o !== theirs[i])) notYet('ceil_mode 1 where it adds a partial window', 'max pool with ceil mode');
    return { kind: 'maxpool', name, size: kh, stride };
  },
  globalAvgPool: (_op, { name }) => ({ kind: 'globalAvgPool', name }),
  add: (op, { name }) => ({ kind: 'add', name, activation: activationOf(op) }),
  flatten: (_op, { name }) => ({ kind: 'flatten', name }),
  softmax: (_op, { name }) => ({ kind: 'softmax', name }),
  activation(op) {
    const what = describeActivation(op.activation);
    if (fusedActivation(op.activation) === null) {
      return notYet(`${what}`, op.activation.kind === 'clip' && op.activation.max === 6 ? 'relu6 activation' : 'standalone activation');
    }
    return notYet(`${what} after something other than a Conv, Gemm/MatMul or Add whose output nothing else reads`, 'standalone activation');
  },
  affine: (op) => notYet(`${op.from === 'BatchNormalization' ? 'BatchNormalization' : `a per-channel ${op.from} by a constant`} not right after a Conv or Gemm whose output nothing else reads`, 'batchnorm'),
  pad: (op) => notYet(`a Pad (value ${op.value}) that is not right before a Conv or pool it folds into`, 'padded conv and pool'),
  concat: () => notYet('a Concat of tensors computed at run time', 'concat'),
  lrn: () => notYet('local response normalisation', 'lrn'),
};

/** One node of the importer's graph as our layer, or {@link Unsupported}. */
export function lowerNode(node: IrNode, context: LowerContext): Layer {
  return (lowerings[node.op.op] as Lowering<IrOp['op']>)(node.op, context);
}
