/** Fixtures of the gradient tests: every op alone with its options, and small graphs through every op, from seeds. */
import { inputTensor, type Architecture, type ArchitectureNode } from '../../src/graph/model.ts';
import { seededRandom } from '../../src/graph/random-model.ts';
import { unitRgbPreprocess } from '../../src/model/preprocess.ts';
import type { TensorShape } from '../../src/model/shapes.ts';
import type { Layer, LayerSpec } from '../../src/ops/layers.ts';
import { opOf } from '../../src/ops/registry.ts';

export interface OpCase {
  what: string;
  spec: LayerSpec;
  inShapes: TensorShape[];
  /** Inputs are uniform in ±scale (relu6 needs values past 6). */
  scale?: number;
}

const s = (channels: number, height: number, width: number): TensorShape => ({ channels, height, width });
const v = (channels: number): TensorShape => s(channels, 1, 1);

/** Each op alone, with every option its backward treats differently. */
export const opCases: OpCase[] = [
  { what: 'conv 3×3/1 pad 1, relu', spec: { kind: 'conv2d', name: 'c', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 4, activation: 'relu' }, inShapes: [s(3, 6, 7)] },
  {
    what: 'conv 3×3/2, 2 groups, asymmetric pads, leaky',
    spec: { kind: 'conv2d', name: 'c', kernel: 3, stride: 2, padding: 0, pads: [0, 1, 2, 1], inChannels: 4, outChannels: 6, groups: 2, activation: 'leaky' },
    inShapes: [s(4, 7, 6)],
  },
  {
    what: 'depthwise 3×3/1 pad 1, relu6',
    spec: { kind: 'conv2d', name: 'c', kernel: 3, stride: 1, padding: 1, inChannels: 4, outChannels: 4, groups: 4, activation: 'relu6' },
    inShapes: [s(4, 5, 5)],
    scale: 6,
  },
  { what: 'conv 5×5/3 pad 2, linear', spec: { kind: 'conv2d', name: 'c', kernel: 5, stride: 3, padding: 2, inChannels: 2, outChannels: 3, activation: 'linear' }, inShapes: [s(2, 8, 7)] },
  { what: 'conv 1×1, linear', spec: { kind: 'conv2d', name: 'c', kernel: 1, stride: 1, padding: 0, inChannels: 5, outChannels: 3, activation: 'linear' }, inShapes: [s(5, 3, 4)] },
  { what: 'dense, relu', spec: { kind: 'dense', name: 'd', inFeatures: 12, outFeatures: 7, activation: 'relu' }, inShapes: [v(12)] },
  { what: 'dense, leaky', spec: { kind: 'dense', name: 'd', inFeatures: 9, outFeatures: 5, activation: 'leaky' }, inShapes: [v(9)] },
  { what: 'dense, linear', spec: { kind: 'dense', name: 'd', inFeatures: 6, outFeatures: 6, activation: 'linear' }, inShapes: [v(6)] },
  { what: 'max-pool 2×2/2', spec: { kind: 'maxpool', name: 'p', size: 2, stride: 2 }, inShapes: [s(2, 6, 5)] },
  { what: 'max-pool 3×3/2 pad 1, ceil mode', spec: { kind: 'maxpool', name: 'p', size: 3, stride: 2, padding: 1, ceilMode: true }, inShapes: [s(2, 7, 6)] },
  {
    what: 'avg-pool 3×3/2 pad 1, ceil, counting padding',
    spec: { kind: 'avgpool', name: 'p', size: 3, stride: 2, padding: 1, countIncludePad: true, ceilMode: true },
    inShapes: [s(2, 6, 7)],
  },
  {
    what: 'avg-pool 2×2/1 pad 1, not counting padding',
    spec: { kind: 'avgpool', name: 'p', size: 2, stride: 1, padding: 1, countIncludePad: false, ceilMode: false },
    inShapes: [s(2, 4, 5)],
  },
  { what: 'adaptive avg-pool down (overlapping)', spec: { kind: 'adaptiveAvgPool', name: 'p', outHeight: 3, outWidth: 2 }, inShapes: [s(2, 7, 5)] },
  { what: 'adaptive avg-pool up', spec: { kind: 'adaptiveAvgPool', name: 'p', outHeight: 4, outWidth: 5 }, inShapes: [s(2, 3, 3)] },
  { what: 'global avg-pool', spec: { kind: 'globalAvgPool', name: 'p' }, inShapes: [s(3, 4, 5)] },
  { what: 'flatten', spec: { kind: 'flatten', name: 'f' }, inShapes: [s(3, 2, 3)] },
  { what: 'softmax', spec: { kind: 'softmax', name: 's' }, inShapes: [v(7)], scale: 3 },
  { what: 'add, relu', spec: { kind: 'add', name: 'a', activation: 'relu' }, inShapes: [s(3, 3, 4), s(3, 3, 4)] },
  { what: 'add, linear', spec: { kind: 'add', name: 'a', activation: 'linear' }, inShapes: [s(2, 3, 3), s(2, 3, 3)] },
  { what: 'concat of three', spec: { kind: 'concat', name: 'k' }, inShapes: [s(2, 3, 4), s(3, 3, 4), s(1, 3, 4)] },
  { what: 'batch norm, leaky', spec: { kind: 'batchnorm', name: 'b', channels: 3, activation: 'leaky' }, inShapes: [s(3, 3, 4)] },
  { what: 'LRN size 5', spec: { kind: 'lrn', name: 'l', size: 5, alpha: 0.5, beta: 0.75, bias: 1 }, inShapes: [s(7, 2, 3)], scale: 2 },
  { what: 'LRN size 4 (even)', spec: { kind: 'lrn', name: 'l', size: 4, alpha: 0.3, beta: 0.6, bias: 2 }, inShapes: [s(6, 2, 2)], scale: 2 },
  { what: 'activation relu', spec: { kind: 'activation', name: 'r', activation: 'relu' }, inShapes: [s(2, 3, 3)] },
  { what: 'activation leaky', spec: { kind: 'activation', name: 'r', activation: 'leaky' }, inShapes: [s(2, 3, 3)] },
  { what: 'activation relu6', spec: { kind: 'activation', name: 'r', activation: 'relu6' }, inShapes: [s(2, 3, 3)], scale: 9 },
  { what: 'activation linear', spec: { kind: 'activation', name: 'r', activation: 'linear' }, inShapes: [s(2, 3, 3)] },
];

/** The case's layer with weights drawn from `seed` (scales of both signs for batch norm). */
export function opCaseLayer(c: OpCase, seed: number): Layer {
  const weights = opOf(c.spec).weights;
  if (!weights) return c.spec as Layer;
  const uniform = seededRandom(seed);
  const limit = Math.sqrt(6 / weights.fanIn(c.spec));
  const sizes = weights.sizes(c.spec);
  const weight = Float32Array.from({ length: sizes.weight }, () => (2 * uniform() - 1) * limit);
  const bias = Float32Array.from({ length: sizes.bias }, () => (2 * uniform() - 1) * 0.1);
  return { ...c.spec, weight, bias } as Layer;
}

export function opCaseInputs(c: OpCase, seed: number): Float32Array[] {
  const uniform = seededRandom(seed);
  return c.inShapes.map((shape) => Float32Array.from({ length: shape.channels * shape.height * shape.width }, () => (2 * uniform() - 1) * (c.scale ?? 1)));
}

const node = (spec: LayerSpec, inputs: string[]): ArchitectureNode => ({ ...spec, inputs, output: spec.name }) as ArchitectureNode;

/**
 * Graphs through every op: a residual block of a depthwise, an asymmetric-padded and a plain conv; max and average
 * pools (padding, ceil mode) concatenated; LRN, a standalone activation, a GAP head with softmax; a tensor read by
 * three nodes. And a dense head after an adaptive pool and a batch norm, with no softmax.
 */
export function gradientArchitectures(): Architecture[] {
  const residual: ArchitectureNode[] = [
    node({ kind: 'conv2d', name: 'c1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 8, activation: 'relu' }, [inputTensor]),
    node({ kind: 'conv2d', name: 'dw', kernel: 3, stride: 1, padding: 1, inChannels: 8, outChannels: 8, groups: 8, activation: 'relu6' }, ['c1']),
    node({ kind: 'conv2d', name: 'asym', kernel: 2, stride: 1, padding: 0, pads: [0, 0, 1, 1], inChannels: 8, outChannels: 8, groups: 2, activation: 'leaky' }, ['dw']),
    node({ kind: 'add', name: 'sum', activation: 'relu' }, ['asym', 'c1']),
    node({ kind: 'maxpool', name: 'mp', size: 3, stride: 2, padding: 1, ceilMode: true }, ['sum']),
    node({ kind: 'avgpool', name: 'ap', size: 3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true }, ['c1']),
    node({ kind: 'concat', name: 'cat' }, ['mp', 'ap']),
    node({ kind: 'lrn', name: 'norm', size: 5, alpha: 0.4, beta: 0.75, bias: 1 }, ['cat']),
    node({ kind: 'activation', name: 'act', activation: 'leaky' }, ['norm']),
    node({ kind: 'conv2d', name: 'c2', kernel: 3, stride: 1, padding: 0, inChannels: 16, outChannels: 10, activation: 'linear' }, ['act']),
    node({ kind: 'globalAvgPool', name: 'gap' }, ['c2']),
    node({ kind: 'softmax', name: 'prob' }, ['gap']),
  ];
  const denseHead: ArchitectureNode[] = [
    node({ kind: 'conv2d', name: 'c1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 6, activation: 'relu' }, [inputTensor]),
    node({ kind: 'avgpool', name: 'ap', size: 3, stride: 2, padding: 1, countIncludePad: true, ceilMode: true }, ['c1']),
    node({ kind: 'adaptiveAvgPool', name: 'aap', outHeight: 3, outWidth: 2 }, ['ap']),
    node({ kind: 'batchnorm', name: 'bn', channels: 6, activation: 'relu' }, ['aap']),
    node({ kind: 'flatten', name: 'flat' }, ['bn']),
    node({ kind: 'dense', name: 'fc1', inFeatures: 36, outFeatures: 12, activation: 'leaky' }, ['flat']),
    node({ kind: 'dense', name: 'fc2', inFeatures: 12, outFeatures: 7, activation: 'linear' }, ['fc1']),
  ];
  return [
    { name: 'residual', input: s(3, 9, 9), preprocess: unitRgbPreprocess(9, 9), nodes: residual, output: 'prob' },
    { name: 'dense-head', input: s(3, 10, 8), preprocess: unitRgbPreprocess(8, 10), nodes: denseHead, output: 'fc2' },
  ];
}
