import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../src/loaders/onnx/write-onnx.ts';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { readBuffers } from '../src/gpu/buffers.ts';
import { gpuTensorBytes, vec4Count } from '../src/gpu/tensor.ts';
import { buildGraph, inputTensor, type Architecture, type ArchitectureNode, type GraphNode, type Model } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { loadConvertedModel } from '../src/loaders/converted.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { elementCount } from '../src/model/shapes.ts';
import { activate, type Activation } from '../src/ops/common/activation.ts';
import { rules } from '../src/ops/common/rules.ts';
import type { LrnSpec } from '../src/ops/layers.ts';
import { opOf } from '../src/ops/registry.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { encodeConvertedModel } from '../src/weights/encode-converted.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

const conv = (name: string, input: string, inChannels: number, outChannels: number, kernel: number, padding: number, activation: Activation): ArchitectureNode => ({
  kind: 'conv2d', name, inputs: [input], output: name, kernel, stride: 1, padding, inChannels, outChannels, activation,
});
const concat = (name: string, inputs: string[]): ArchitectureNode => ({ kind: 'concat', name, inputs, output: name });
const batchnorm = (name: string, input: string, channels: number, activation: Activation): ArchitectureNode => ({
  kind: 'batchnorm', name, inputs: [input], output: name, channels, activation,
});
const lrn = (name: string, input: string, size: number, alpha: number, beta: number, bias: number): ArchitectureNode => ({
  kind: 'lrn', name, inputs: [input], output: name, size, alpha, beta, bias,
});
const activation = (name: string, input: string, kind: Activation): ArchitectureNode => ({ kind: 'activation', name, inputs: [input], output: name, activation: kind });

/**
 * An Inception-like block between LRNs: a ReLU6 stem (its only reader an LRN, which then shares its memory vector),
 * four branches (3×3 Winograd, 1×1 → 3×3 im2col, 1×1 → 5×5 direct, max-pool → 1×1) of 5, 7, 3 and 6 channels
 * concatenated, an even-sized LRN on the concat that a conv reads too, a ReLU6 add, and a standalone leaky activation
 * after a linear conv. Every conv kind, the add and the dense head fuse ReLU6 somewhere.
 */
function inceptionArchitecture(): Architecture {
  const nodes: ArchitectureNode[] = [
    conv('stem', inputTensor, 3, 6, 3, 1, 'relu6'),
    lrn('lrn1', 'stem', 5, 0.3, 0.75, 2),
    conv('b1', 'lrn1', 6, 5, 3, 0, 'relu6'),
    conv('b2r', 'lrn1', 6, 3, 1, 0, 'relu'),
    conv('b2', 'b2r', 3, 7, 3, 0, 'relu'),
    conv('b3r', 'lrn1', 6, 5, 1, 0, 'relu'),
    conv('b3', 'b3r', 5, 3, 5, 1, 'relu6'),
    { kind: 'maxpool', name: 'b4p', inputs: ['lrn1'], output: 'b4p', size: 3, stride: 1 },
    conv('b4', 'b4p', 6, 6, 1, 0, 'relu6'),
    concat('cat', ['b1', 'b2', 'b3', 'b4']),
    lrn('lrn2', 'cat', 4, 1, 0.6, 1.5),
    conv('head1', 'lrn2', 21, 8, 1, 0, 'linear'),
    conv('side', 'cat', 21, 8, 1, 0, 'linear'),
    { kind: 'add', name: 'sum', inputs: ['head1', 'side'], output: 'sum', activation: 'relu6' },
    conv('proj', 'sum', 8, 5, 1, 0, 'linear'),
    activation('act', 'proj', 'leaky'),
    { kind: 'globalAvgPool', name: 'gap', inputs: ['act'], output: 'gap' },
    { kind: 'softmax', name: 'prob', inputs: ['gap'], output: 'prob' },
  ];
  return { name: 'inception-like', input: { channels: 3, height: 10, width: 12 }, preprocess: unitRgbPreprocess(12, 10), nodes, output: 'prob' };
}

/**
 * A DenseNet-like block: BN → ReLU → conv layers whose outputs are concatenated with every earlier feature map, so
 * `x0` is read by a batch norm and two concats and `c1` by two concats; then a transition (BN → 1×1 conv → max-pool), a
 * standalone ReLU6 whose input a concat reads too, a concat that reads one tensor twice, and a head that concatenates
 * two vectors (the pooled features and a dense layer on them) before a batch norm.
 */
function denseNetArchitecture(): Architecture {
  const nodes: ArchitectureNode[] = [
    conv('x0', inputTensor, 3, 5, 3, 1, 'relu'),
    batchnorm('bn1', 'x0', 5, 'relu'),
    conv('c1', 'bn1', 5, 3, 3, 1, 'linear'),
    concat('cat1', ['x0', 'c1']),
    batchnorm('bn2', 'cat1', 8, 'relu'),
    conv('c2', 'bn2', 8, 3, 3, 1, 'linear'),
    concat('cat2', ['x0', 'c1', 'c2']),
    batchnorm('bn3', 'cat2', 11, 'relu6'),
    conv('t', 'bn3', 11, 6, 1, 0, 'linear'),
    { kind: 'maxpool', name: 'pool', inputs: ['t'], output: 'pool', size: 2, stride: 2 },
    activation('a1', 'pool', 'relu6'),
    concat('cat3', ['a1', 'pool', 'a1']),
    batchnorm('bn4', 'cat3', 18, 'leaky'),
    { kind: 'globalAvgPool', name: 'gap', inputs: ['bn4'], output: 'gap' },
    { kind: 'dense', name: 'fc1', inputs: ['gap'], output: 'fc1', inFeatures: 18, outFeatures: 7, activation: 'relu6' },
    concat('vcat', ['gap', 'fc1']),
    batchnorm('bnv', 'vcat', 25, 'relu'),
    { kind: 'dense', name: 'fc2', inputs: ['bnv'], output: 'fc2', inFeatures: 25, outFeatures: 4, activation: 'linear' },
    { kind: 'softmax', name: 'prob', inputs: ['fc2'], output: 'prob' },
  ];
  return { name: 'densenet-like', input: { channels: 3, height: 9, width: 11 }, preprocess: unitRgbPreprocess(11, 9), nodes, output: 'prob' };
}

function nodeNamed(model: Model, name: string): GraphNode {
  return model.nodes.find((n) => n.name === name)!;
}

/** A random Inception-like model whose stem is scaled up so that its ReLU6 saturates. */
function inceptionModel(seed: number): Model {
  const model = randomModel(inceptionArchitecture(), seed);
  const stem = nodeNamed(model, 'stem') as GraphNode & { weight: Float32Array };
  stem.weight.forEach((w, i) => (stem.weight[i] = w * 8));
  return model;
}

describe('relu6, concat, batchnorm, lrn and activation: shape rules and references', () => {
  it('relu6 clips to [0, 6] and maps 0 to 0', () => {
    expect([-3, 0, 2.5, 6, 7.25].map((v) => activate(v, 'relu6'))).toEqual([0, 0, 2.5, 6, 6]);
  });

  it('rejects wrong shapes and parameters, naming the node', () => {
    const base = inceptionArchitecture();
    const build = (nodes: ArchitectureNode[]) => () => buildGraph({ ...base, nodes });
    const replace = (name: string, node: Partial<ArchitectureNode>) => base.nodes.map((n) => (n.name === name ? ({ ...n, ...node } as ArchitectureNode) : n));
    expect(build(replace('cat', { inputs: ['b1', 'b2', 'b3', 'lrn1'] }))).toThrow(/cat: concatenates along channels tensors of different heights and widths \(input 0 is 5×8×10, input 3 6×10×12\)/);
    expect(build(replace('cat', { inputs: ['b1'] }))).toThrow(/cat: a concat node takes 2 to any number of input\(s\), it has 1/);
    expect(build(replace('lrn1', { size: 0 } as Partial<LrnSpec>))).toThrow(/lrn1: LRN size 0 is not a positive integer/);
    expect(build(replace('lrn1', { bias: 0 } as Partial<LrnSpec>))).toThrow(/lrn1: LRN needs bias > 0 and alpha ≥ 0/);
    expect(build(replace('lrn2', { alpha: -1 } as Partial<LrnSpec>))).toThrow(/lrn2: LRN needs bias > 0 and alpha ≥ 0/);
    const dense = denseNetArchitecture();
    const bn = dense.nodes.map((n) => (n.name === 'bn2' ? { ...n, channels: 7 } : n)) as ArchitectureNode[];
    expect(() => buildGraph({ ...dense, nodes: bn })).toThrow(/bn2: normalises 7 channels but its input has 8/);
    expect(buildGraph(dense).shapes.get('cat3')).toEqual({ channels: 18, height: 4, width: 5 });
    expect(buildGraph(dense).shapes.get('vcat')).toEqual({ channels: 25, height: 1, width: 1 });
  });

  it('LRN equals ONNX Runtime\'s LRN (odd sizes, windows clipped at both ends)', async () => {
    const shape = { channels: 7, height: 3, width: 2 };
    const input = randomInput(elementCount(shape), 3).map((v) => v * 3);
    const dims = [1, shape.channels, shape.height, shape.width];
    // ONNX Runtime takes odd sizes only (so does Caffe); even ones are checked by hand below.
    for (const [size, alpha, beta, bias] of [[5, 0.3, 0.75, 2], [3, 1, 0.6, 1.5], [1, 2, 0.5, 1], [9, 0.1, 0.75, 1]]) {
      const spec: LrnSpec = { kind: 'lrn', name: 'lrn', size, alpha, beta, bias };
      const bytes = new OnnxBuilder()
        .input('x', dims)
        .output('y', dims)
        .node('LRN', ['x'], ['y'], { size, alpha: { float: alpha }, beta: { float: beta }, bias: { float: bias } }, 'lrn')
        .write('lrn').bytes;
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      try {
        const out = await session.run({ x: new ort.Tensor('float32', input, dims) });
        const want = opOf(spec).reference.forward(spec as never, [input], [shape], shape);
        expectClose(out.y.data as Float32Array, want, 1e-5, `LRN size ${size}`);
      } finally {
        await session.release();
      }
    }
  });

  it('LRN of an even size uses ONNX\'s window: ⌊(size − 1) / 2⌋ channels before, ⌈(size − 1) / 2⌉ after', () => {
    // 3 channels of one pixel, size 2: channel c sums channels c and c + 1 (when it exists).
    const spec: LrnSpec = { kind: 'lrn', name: 'lrn', size: 2, alpha: 2, beta: 1, bias: 1 };
    const shape = { channels: 3, height: 1, width: 1 };
    const out = opOf(spec).reference.forward(spec as never, [Float32Array.of(1, 2, 3)], [shape], shape);
    expect(Array.from(out)).toEqual([1 / (1 + 1 + 4), 2 / (1 + 4 + 9), 3 / (1 + 9)].map(Math.fround));
  });
});

/**
 * Fills the shared activation buffers with NaN: a tensor that is not kept gets a buffer another tensor used before it,
 * so a kernel that leaves its padding channels (or anything) unwritten passes NaN on, and the forward comparison shows
 * it. (Kept tensors have buffers of their own, zero when made and written only by their node.)
 */
function poisonSharedActivations(gpu: GpuModel): void {
  const shared = [...gpu.tensors].filter(([name]) => !gpu.isKept(name)).map(([, t]) => t.buffer);
  for (const buffer of new Set(shared)) {
    gpu.context.device.queue.writeBuffer(buffer, 0, new Float32Array(buffer.size / 4).fill(NaN));
  }
}

/** The padding channels of tensors `names`, read raw from the GPU: they must hold 0. */
async function expectZeroPadding(gpu: GpuModel, names: string[], what: string): Promise<void> {
  const tensors = names.map((n) => gpu.tensor(n));
  const data = await readBuffers(gpu.context, 'reading padding', tensors.map((t) => ({ buffer: t.buffer, size: gpuTensorBytes(t.shape) })));
  data.forEach((bytes, i) => {
    const { channels, height, width } = tensors[i].shape;
    const stride = vec4Count(channels) * 4;
    const values = new Float32Array(bytes);
    for (let p = 0; p < height * width; p++) {
      for (let c = channels; c < stride; c++) {
        if (values[p * stride + c] !== 0) expect.fail(`${what}: tensor ${names[i]} pixel ${p} padding channel ${c} holds ${values[p * stride + c]}`);
      }
    }
  });
}

/** Forward (every kept tensor, padding included) and backtracking (every target, both rules) against the reference. */
async function expectGraphMatchesReference(model: Model, seeds: number[]): Promise<{ gpu: GpuModel; backtracker: GpuBacktracker }> {
  const gpu = await GpuModel.create(await testGpu(), model);
  const backtracker = await GpuBacktracker.create(gpu);
  cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
  const classes = elementCount(gpu.graph.shapes.get(model.output)!);
  let trees = 0;
  let reachedInput = 0;
  for (const seed of seeds) {
    poisonSharedActivations(gpu);
    const input = randomInput(elementCount(model.input), seed);
    await gpu.runTensor(input);
    const activations = await gpu.readActivations();
    const want = forwardReference(model, input);
    for (const [name, values] of activations) expectClose(values, want.get(name)!, 1e-4, `${model.name} seed ${seed} tensor ${name}`);
    for (const rule of rules) {
      for (let target = 0; target < classes; target++) {
        const { tree } = await backtracker.run(target, rule);
        const what = `${model.name} seed ${seed} class ${target} ${rule}`;
        const { explainedDifferences } = expectTreeMatchesReference(model, activations, tree, rule, what);
        explainedDifferences.forEach((d) => console.log(d));
        if (tree.levels.at(-1)!.nodes.length > 0) reachedInput++;
        trees++;
      }
    }
  }
  // A tree may die out (hysm keeps only positive contributions of a dense layer), but most reach the input.
  expect(reachedInput, `${model.name}: trees that reach the input`).toBeGreaterThan(trees / 2);
  return { gpu, backtracker };
}

/**
 * Every tensor kept (each in a buffer of its own), every buffer filled with garbage first: the padding channels of
 * what the new ops write must come out 0, whatever their buffer held (a shared one holds another tensor's values).
 */
async function expectOpsZeroTheirPadding(model: Model): Promise<void> {
  const graph = buildGraph(model);
  const gpu = await GpuModel.create(await testGpu(), model, { keep: graph.tensors });
  cleanups.push(() => gpu.destroy());
  for (const buffer of new Set([...gpu.tensors.values()].map((t) => t.buffer))) {
    gpu.context.device.queue.writeBuffer(buffer, 0, new Float32Array(buffer.size / 4).fill(-7.5));
  }
  await gpu.runTensor(randomInput(elementCount(model.input), 8));
  const written = model.nodes.filter((n) => ['concat', 'batchnorm', 'lrn', 'activation', 'dense'].includes(n.kind)).map((n) => n.output);
  await expectZeroPadding(gpu, written, model.name);
}

describe('merge and element-wise ops on the GPU equal the CPU reference', () => {
  it('an Inception-like block: four branches concatenated, LRNs, ReLU6 fused everywhere, a standalone activation', async () => {
    const model = inceptionModel(21);
    const reference = forwardReference(model, randomInput(elementCount(model.input), 1));
    const stem = Array.from(reference.get('stem')!);
    // The scaled stem saturates: ReLU6's clip is exercised, not only its zero side.
    expect(stem.filter((v) => v === 6).length).toBeGreaterThan(10);
    expect(stem.filter((v) => v > 0 && v < 6).length).toBeGreaterThan(10);
    const { gpu, backtracker } = await expectGraphMatchesReference(model, [1, 2]);
    await expectOpsZeroTheirPadding(model);
    const plan = backtracker.plan.byTensor;
    // Sole reader: the LRN and the activation share the memory vector above; the forward does not keep their inputs.
    expect(plan.get('stem')!.sharesWith).toBe('lrn1');
    expect(plan.get('proj')!.sharesWith).toBe('act');
    expect(gpu.isKept('stem') || gpu.isKept('proj')).toBe(false);
    // The concat is read by the LRN and a conv: the LRN selects through the generic same-node kernel.
    expect(plan.get('cat')!.sharesWith).toBeNull();
    expect(plan.get('cat')!.parentTensors).toEqual(['lrn2', 'side']);
    expect(plan.get('lrn1')!.parentTensors).toEqual(['b1', 'b2r', 'b3r', 'b4p']);
  });

  it('a DenseNet-like block: features read by several concats, BN → ReLU → conv, a concat of vectors', async () => {
    const model = randomModel(denseNetArchitecture(), 33);
    const { backtracker } = await expectGraphMatchesReference(model, [4, 5]);
    await expectOpsZeroTheirPadding(model);
    const plan = backtracker.plan.byTensor;
    expect(plan.get('x0')!.parentTensors).toEqual(['bn1', 'cat1', 'cat2']);
    expect(plan.get('x0')!.sharesWith).toBeNull();
    expect(plan.get('c1')!.parentTensors).toEqual(['cat1', 'cat2']);
    expect(plan.get('pool')!.parentTensors).toEqual(['a1', 'cat3']);
    for (const [tensor, reader] of [['cat1', 'bn2'], ['cat2', 'bn3'], ['cat3', 'bn4'], ['vcat', 'bnv']]) expect(plan.get(tensor)!.sharesWith).toBe(reader);
  });

  it('concat backtracking: each output node selects one node in exactly one input, at its channel less the offset', async () => {
    const model = randomModel(denseNetArchitecture(), 34);
    const gpu = await GpuModel.create(await testGpu(), model);
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
    await gpu.runTensor(randomInput(elementCount(model.input), 6));
    const { tree } = await backtracker.run(1, 'hysm');
    const level = (name: string) => tree.levels.find((l) => l.name === name)!;
    const plane = 4 * 5;
    // cat3 = [a1 (0–5), pool (6–11), a1 (12–17)]: its nodes map onto a1 and pool by channel.
    const cat3 = Array.from(level('cat3').nodes);
    const fromA1 = new Set(cat3.filter((n) => n < 6 * plane || n >= 12 * plane).map((n) => n % (6 * plane)));
    const fromPool = new Set(cat3.filter((n) => n >= 6 * plane && n < 12 * plane).map((n) => n - 6 * plane));
    expect(cat3.length).toBeGreaterThan(0);
    expect(Array.from(level('a1').nodes)).toEqual([...fromA1].sort((a, b) => a - b));
    // pool's nodes: those cat3 selects directly, and those a1 selects (the same nodes).
    expect(Array.from(level('pool').nodes)).toEqual([...new Set([...fromPool, ...fromA1])].sort((a, b) => a - b));
    expect(Array.from(level('cat3').childCounts).every((c) => c === 1)).toBe(true);
  });

  it('round-trips through the converted format: specs (lrn\'s bias included), batch norm weights, outputs', async () => {
    for (const model of [inceptionModel(41), randomModel(denseNetArchitecture(), 42)]) {
      const encoded = encodeConvertedModel(model);
      const lrnNode = encoded.manifest.nodes.find((n) => n.kind === 'lrn');
      if (lrnNode) expect(lrnNode).toMatchObject({ size: 5, alpha: 0.3, beta: 0.75, bias: 2 });
      const files = new Map(encoded.files.map((f) => [f.name, f.bytes()]));
      const loaded = await loadConvertedModel(encoded.json, async (name) => files.get(name)!);
      expect(loaded.nodes).toEqual(model.nodes);
      const input = randomInput(elementCount(model.input), 4);
      expect(forwardReference(loaded, input).get('prob')).toEqual(forwardReference(model, input).get('prob'));
      const broken = JSON.parse(encoded.json);
      const bn = broken.nodes.find((n: { kind: string }) => n.kind === 'batchnorm' || n.kind === 'activation');
      if (bn) {
        bn.activation = 'relu7';
        await expect(loadConvertedModel(JSON.stringify(broken), async (name) => files.get(name)!)).rejects.toThrow(/activation must be one of relu, leaky, linear, relu6/);
      }
    }
  });
});
