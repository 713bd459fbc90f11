/**
 * ONNX import (src/loaders/onnx.ts): every ONNX model loaded here also runs through ONNX Runtime, whose outputs our
 * forward must match (max relative error ≤ 1e-4 on the scores, the same top-5): the GPU's for the small graphs, the CPU
 * reference's for the built-in architectures (each written, read back and compared with itself; four at 224×224);
 * fixtures are written from a seed by src/loaders/onnx/write-onnx.ts, never checked in. torchvision's networks as
 * torch.onnx.export writes them, where Debian's python3-torchvision is installed. Real models from ../shared/data:
 * tiny.onnx against tiny.cfg, and a ResNet-20 for CIFAR-10.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../bench/options.ts';
import { prepareSubject } from '../bench/prepare-subjects.ts';
import { graphArchitectures, type GraphArchitectureName } from '../src/architectures/index.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import { fixationPoints } from '../src/backtrack/tree.ts';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { Explainer } from '../src/explain/explain.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { chain, graphOf, inputTensor, type Architecture, type ArchitectureNode, type GraphNode, type Model } from '../src/graph/model.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { decodeImageFile } from '../src/image/decode-node.ts';
import { ModelFormatError } from '../src/loaders/format-error.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { loadOnnx, type OnnxModelOptions } from '../src/loaders/onnx.ts';
import { ExternalData, halfToFloat, readTensor } from '../src/loaders/onnx/onnx-file.ts';
import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema } from 'onnx-buf';
import { floatToHalf, OnnxBuilder, writeOnnx } from '../src/loaders/onnx/write-onnx.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { LoadCancelled, onnxFormat, setOnnxPrompt } from '../src/web/formats/onnx-format.ts';
import { modelFormatForFiles, sortDroppedFiles } from '../src/web/model-formats.ts';
import type { PreprocessOptions } from '../src/model/preprocess-options.ts';
import { elementCount } from '../src/model/shapes.ts';
import { rules } from '../src/ops/common/rules.ts';
import { backtrackReference } from '../src/reference/backtrack.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import { hasChromium, launchChromium } from './helpers/chromium.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { expectScoresMatchOrt, ortSession, topK } from './helpers/onnx-runtime.ts';
import { describeWithSharedData, sharedDataRoot } from './helpers/shared-data.ts';
import { serveFolders } from './helpers/static-server.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

async function gpuOf(model: Model): Promise<{ gpu: GpuModel; backtracker: GpuBacktracker }> {
  const gpu = await GpuModel.create(await testGpu(), model);
  const backtracker = await GpuBacktracker.create(gpu);
  cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
  return { gpu, backtracker };
}

const load = async (options: Partial<OnnxModelOptions> & { bytes: Uint8Array }) => (await loadOnnx({ fileName: 'net.onnx', ...options })).model;

/**
 * The loaded model on the GPU against ONNX Runtime on the same file (scores), and against the CPU reference (every
 * kept tensor; fixation trees of the first `targets` classes with both rules).
 */
async function checkModel(model: Model, bytes: Uint8Array, seeds: number[], targets: number, externalData: { path: string; data: Uint8Array }[] = []): Promise<void> {
  const { gpu, backtracker } = await gpuOf(model);
  const { channels, height, width } = model.input;
  const session = await ortSession(bytes, [1, channels, height, width], externalData);
  cleanups.push(() => void session.release());
  for (const seed of seeds) {
    const input = randomInput(elementCount(model.input), seed);
    const { scores } = await gpu.runTensor(input);
    expectScoresMatchOrt(scores, await session.run(input), `${model.name} seed ${seed}`);
    const activations = await gpu.readActivations();
    const want = forwardReference(model, input);
    for (const [name, values] of activations) expectClose(values, want.get(name)!, 1e-4, `${model.name} seed ${seed} tensor ${name}`);
    for (const rule of rules) {
      for (let target = 0; target < targets; target++) {
        const { tree } = await backtracker.run(target, rule);
        expectTreeMatchesReference(model, activations, tree, rule, `${model.name} seed ${seed} class ${target} ${rule}`).explainedDifferences.forEach((d) => console.log(d));
      }
    }
  }
}

/** Bit-for-bit equal float arrays; the first difference is reported (toEqual walks a 60 M-weight array far too slowly). */
function expectSameFloats(ours: Float32Array, theirs: Float32Array, what: string): void {
  expect(ours.length, `${what}: length`).toBe(theirs.length);
  const [a, b] = [new Uint32Array(ours.buffer, ours.byteOffset, ours.length), new Uint32Array(theirs.buffer, theirs.byteOffset, theirs.length)];
  const at = a.findIndex((bits, i) => bits !== b[i]);
  expect(at < 0 ? null : `index ${at}: ${ours[at]} vs ${theirs[at]}`, what).toBeNull();
}

/** A node's spec fields: without its weight and bias tensors (an LRN's `bias` is a field). */
function specOf(node: GraphNode): Omit<GraphNode, 'weight' | 'bias'> {
  if (!('weight' in node)) return node;
  const { weight: _w, bias: _b, ...spec } = node;
  return spec;
}

/** Spec fields and weights of two graphs, node by node. */
function expectSameGraph(loaded: Model, original: Model): void {
  expect(loaded.output).toBe(original.output);
  expect(loaded.input).toEqual(original.input);
  expect(loaded.nodes.map(specOf)).toEqual(original.nodes.map(specOf));
  loaded.nodes.forEach((node, i) => {
    if (!('weight' in node)) return;
    const other = original.nodes[i] as typeof node;
    expectSameFloats(node.weight, other.weight, `${node.name} weight`);
    expectSameFloats(node.bias, other.bias, `${node.name} bias`);
  });
}

/** Fixations of every target and both rules, on the GPU, for one input. */
async function gpuFixations(model: Model, input: Float32Array, targets: number): Promise<string> {
  const { gpu, backtracker } = await gpuOf(model);
  await gpu.runTensor(input);
  const out: unknown[] = [];
  for (const rule of rules) for (let t = 0; t < targets; t++) out.push(fixationPoints((await backtracker.run(t, rule)).tree.levels.at(-1)!));
  return JSON.stringify(out);
}

const conv = (name: string, input: string, inChannels: number, outChannels: number, kernel = 3, stride = 1, activation: 'relu' | 'linear' | 'leaky' = 'relu'): ArchitectureNode => ({
  kind: 'conv2d', name, inputs: [input], output: name, kernel, stride, padding: kernel === 3 ? 1 : 0, inChannels, outChannels, activation,
});

/** Seeded residual graphs: identity and projection skips, a tensor read by three nodes; one ends in softmax, one in logits. */
function residualArchitectures(): Architecture[] {
  const body: ArchitectureNode[] = [
    conv('stem', inputTensor, 3, 8),
    conv('b1a', 'stem', 8, 8),
    conv('b1b', 'b1a', 8, 8, 3, 1, 'linear'),
    { kind: 'add', name: 'b1', inputs: ['stem', 'b1b'], output: 'b1', activation: 'relu' },
    conv('b2a', 'b1', 8, 12, 3, 2),
    conv('b2b', 'b2a', 12, 12, 3, 1, 'linear'),
    conv('b2skip', 'b1', 8, 12, 1, 2, 'linear'),
    { kind: 'add', name: 'b2', inputs: ['b2b', 'b2skip'], output: 'b2', activation: 'relu' },
    conv('b3a', 'b2', 12, 12, 1, 1, 'leaky'),
    { kind: 'add', name: 'b3', inputs: ['b2', 'b3a'], output: 'b3', activation: 'linear' },
    { kind: 'add', name: 'b4', inputs: ['b3', 'b2'], output: 'b4', activation: 'relu' },
  ];
  const softmaxHead: ArchitectureNode[] = [
    conv('head', 'b4', 12, 7, 1, 1, 'linear'),
    { kind: 'globalAvgPool', name: 'gap', inputs: ['head'], output: 'gap' },
    { kind: 'softmax', name: 'prob', inputs: ['gap'], output: 'prob' },
  ];
  const denseHead: ArchitectureNode[] = [
    { kind: 'maxpool', name: 'pool', inputs: ['b4'], output: 'pool', size: 2, stride: 2 },
    { kind: 'flatten', name: 'flat', inputs: ['pool'], output: 'flat' },
    { kind: 'dense', name: 'fc1', inputs: ['flat'], output: 'fc1', inFeatures: 12 * 3 * 3, outFeatures: 20, activation: 'relu' },
    { kind: 'dense', name: 'fc2', inputs: ['fc1'], output: 'fc2', inFeatures: 20, outFeatures: 9, activation: 'linear' },
  ];
  const input = { channels: 3, height: 11, width: 13 };
  return [
    { name: 'residual-softmax', input, preprocess: unitRgbPreprocess(13, 11), nodes: [...body, ...softmaxHead], output: 'prob' },
    { name: 'residual-logits', input, preprocess: unitRgbPreprocess(13, 11), nodes: [...body, ...denseHead], output: 'fc2' },
  ];
}

describe('round trips: our graphs written to ONNX and read back', () => {
  const vggs = ([16, 19] as const).map((depth) => randomModel(vggArchitecture(depth, { widths: [4, 6, 8, 8, 10], inputSize: 64, hidden: 24, classes: 10 }), depth));
  const models = [...vggs, ...residualArchitectures().map((a, i) => randomModel(a, 20 + i))];

  for (const model of models) {
    it(`${model.name}: the same graph and weights, the same fixations, and ONNX Runtime's scores`, async () => {
      const { bytes } = writeOnnx(model);
      const loaded = await load({ bytes, labels: model.labels });
      expectSameGraph(loaded, model);
      const input = randomInput(elementCount(model.input), 7);
      expect(await gpuFixations(loaded, input, 3)).toBe(await gpuFixations(model, input, 3));
      await checkModel(loaded, bytes, [1], 2);
    });
  }

  it('fp16 weights in an external data file are widened at load; the forward matches ONNX Runtime on the same file', async () => {
    const model = models[3];
    const { bytes, externalData } = writeOnnx(model, { float16: true, externalData: 'net.onnx.data' });
    const loaded = await load({ bytes, readExternal: async (location) => (location === 'net.onnx.data' ? externalData! : Promise.reject(new Error('no such file'))) });
    const halved = (values: Float32Array) => Float32Array.from(values, (v) => halfToFloat(floatToHalf(v)));
    loaded.nodes.forEach((node, i) => {
      if ('weight' in node) expect(node.weight).toEqual(halved((model.nodes[i] as typeof node).weight));
    });
    expect(halfToFloat(floatToHalf(0.1))).toBeCloseTo(0.1, 4);
    expect([halfToFloat(0x7c00), halfToFloat(0x0001), halfToFloat(0xc000)]).toEqual([Infinity, 2 ** -24, -2]);
    await checkModel(loaded, bytes, [2], 2, [{ path: 'net.onnx.data', data: externalData! }]);
  });
});

/** The architecture without its closing softmax: ONNX Runtime is then compared on logits (a deep random net's softmax is one-hot). */
function logitsOf(arch: Architecture): Architecture {
  const last = arch.nodes.at(-1)!;
  return last.kind === 'softmax' && last.output === arch.output ? { ...arch, nodes: arch.nodes.slice(0, -1), output: last.inputs[0] } : arch;
}

/**
 * The graph an ONNX round trip gives back: what ONNX writes as no node, or as another op, comes back so. A flatten of
 * a 1×1 map, an adaptive pool to the size it has and a linear activation are aliases (gone); an adaptive pool to 1×1
 * (or an average pool over the whole map) is a global average pool, one with even windows an average pool; LRN's
 * parameters are float32 attributes.
 */
function onnxForm(model: Model): Model {
  const { shapes } = graphOf(model);
  const alias = new Map<string, string>();
  const source = (t: string) => alias.get(t) ?? t;
  const nodes: GraphNode[] = [];
  for (const node of model.nodes) {
    const input = shapes.get(node.inputs[0])!;
    const wired = { ...node, inputs: node.inputs.map(source) } as GraphNode;
    const gap: GraphNode = { kind: 'globalAvgPool', name: node.name, inputs: wired.inputs, output: node.output };
    if ((node.kind === 'flatten' && input.height === 1 && input.width === 1) || (node.kind === 'activation' && node.activation === 'linear')) alias.set(node.output, wired.inputs[0]);
    else if (node.kind === 'adaptiveAvgPool') {
      if (node.outHeight === input.height && node.outWidth === input.width) alias.set(node.output, wired.inputs[0]);
      else if (node.outHeight === 1 && node.outWidth === 1) nodes.push(gap);
      else nodes.push({ kind: 'avgpool', name: node.name, inputs: wired.inputs, output: node.output, size: input.height / node.outHeight, stride: input.height / node.outHeight, padding: 0, countIncludePad: false, ceilMode: false });
    } else if (node.kind === 'avgpool' && node.padding === 0 && node.size === input.height && node.size === input.width) nodes.push(gap);
    else if (node.kind === 'lrn') nodes.push({ ...wired, alpha: Math.fround(node.alpha), beta: Math.fround(node.beta), bias: Math.fround(node.bias) } as GraphNode);
    else nodes.push(wired);
  }
  return { ...model, nodes, output: source(model.output) };
}

/**
 * Write → read: the graph {@link onnxForm} says, the same weights, the same forward (within float32) and fixations
 * (the top class, both rules, CPU reference) as the model itself; ONNX Runtime's scores on the same file equal ours.
 */
async function expectRoundTrip(model: Model): Promise<Model> {
  const { bytes } = writeOnnx(model);
  const loaded = await load({ bytes, labels: model.labels });
  expectSameGraph(loaded, onnxForm(model));
  const input = randomInput(elementCount(model.input), 11);
  const [ours, original] = [forwardReference(loaded, input), forwardReference(model, input)];
  const scores = ours.get(loaded.output)!;
  expectClose(scores, original.get(model.output)!, 1e-5, `${model.name} scores against the model written`);
  const [target] = topK(scores, 1);
  for (const rule of rules) {
    const fixations = (m: Model, activations: typeof ours) => fixationPoints(backtrackReference(m, activations, target, rule).levels.at(-1)!);
    expect(fixations(loaded, ours), `${model.name} ${rule} fixations`).toEqual(fixations(model, original));
  }
  const session = await ortSession(bytes, [1, model.input.channels, model.input.height, model.input.width]);
  const theirs = await session.run(input);
  await session.release();
  expectScoresMatchOrt(scores, theirs, `${model.name} read back`);
  return loaded;
}

describe('every built-in architecture round-trips through ONNX (seeded weights, logits; CPU reference and ONNX Runtime)', () => {
  const graphs: [GraphArchitectureName, number][] = [
    ['resnet18', 64],
    ['resnet34', 64],
    ['resnet50', 64],
    ['resnet101', 64],
    ['resnet152', 64],
    ['mobilenet_v2', 64],
    ['densenet121', 64],
    ['googlenet', 64],
    // torchvision's adaptive pool to 6×6 is the identity at 224 (ONNX has no node for it); smaller inputs pool 2×2 or
    // 1×1 up to 6×6, which no ONNX AveragePool computes.
    ['alexnet', 224],
    // Caffe's own 227 gives the same ops at five times the work.
    ['alexnet-caffe', 99],
  ];
  for (const [name, inputSize] of graphs) {
    it(`${name} at ${inputSize}×${inputSize}`, async () => {
      await expectRoundTrip(randomModel(logitsOf(graphArchitectures[name]({ inputSize, classes: 10 }).architecture), 31));
    });
  }
  it('vgg11 and vgg13 (narrow) at 64×64', async () => {
    for (const depth of [11, 13] as const) await expectRoundTrip(randomModel(logitsOf(vggArchitecture(depth, { widths: [4, 6, 8, 8, 10], inputSize: 64, hidden: 24, classes: 10 })), depth));
  });

  it('GoogLeNet at 64×64 on the GPU: the forward equals ONNX Runtime and the reference, the trees the reference (both rules)', async () => {
    const model = randomModel(logitsOf(graphArchitectures.googlenet({ inputSize: 64, classes: 10 }).architecture), 32);
    const { bytes } = writeOnnx(model);
    await checkModel(await load({ bytes }), bytes, [1], 2);
  });

  // Issue 12: the full-size networks in ONNX form, once each (the CPU reference of ResNet-50 takes ~15 s here).
  for (const name of ['resnet50', 'googlenet', 'densenet121', 'mobilenet_v2'] as const) {
    it(`${name} at 224×224 with 1000 classes: loads as it was written, and our forward equals ONNX Runtime's`, async () => {
      const model = randomModel(logitsOf(graphArchitectures[name]().architecture), 33);
      const { bytes } = writeOnnx(model);
      const loaded = await load({ bytes });
      expectSameGraph(loaded, onnxForm(model));
      const input = randomInput(elementCount(model.input), 12);
      const session = await ortSession(bytes, [1, 3, 224, 224]);
      const theirs = await session.run(input);
      await session.release();
      expectScoresMatchOrt(forwardReference(loaded, input).get(loaded.output)!, theirs, `${name} 224`);
    });
  }

  it('an adaptive pool is written as ONNX computes it exactly: the identity, a global pool, an even average pool; or refused, naming the node', async () => {
    const arch = (outSize: number, side: number): Architecture => ({
      name: `adaptive-${side}-to-${outSize}`,
      input: { channels: 3, height: side, width: side },
      preprocess: unitRgbPreprocess(side, side),
      ...chain([
        { kind: 'conv2d', name: 'conv', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 6, activation: 'relu' },
        { kind: 'adaptiveAvgPool', name: 'pool', outHeight: outSize, outWidth: outSize },
        { kind: 'flatten', name: 'flat' },
        { kind: 'dense', name: 'fc', inFeatures: 6 * outSize * outSize, outFeatures: 5, activation: 'linear' },
      ]),
    });
    const kinds = async (outSize: number, side: number) => (await expectRoundTrip(randomModel(arch(outSize, side), side))).nodes.map((n) => n.kind).join(' ');
    expect(await kinds(6, 6)).toBe('conv2d flatten dense');
    expect(await kinds(1, 7)).toBe('conv2d globalAvgPool dense');
    expect(await kinds(3, 9)).toBe('conv2d avgpool flatten dense');
    expect(() => writeOnnx(randomModel(arch(3, 8), 1))).toThrow(
      /^pool: an adaptive average pool from 8×8 to 3×3 has windows of different sizes or overlapping ones, which no ONNX AveragePool computes/,
    );
  });
});

/**
 * A graph the way PyTorch and other exporters write them, at opset 9 (attributes) or 13 (inputs): Conv without bias
 * → BatchNormalization → Relu; Pad → Conv with asymmetric pads that add up to symmetric ones → Clip(0); two SAME
 * convs (one with LeakyRelu 0.1) → Sum → Relu; MaxPool; Shape → Gather → Unsqueeze → Concat → Reshape; MatMul + Add →
 * Relu; Dropout; Gemm (transB 0, alpha, beta); Identity; optionally Softmax.
 */
function exporterStyleOnnx(opset: number, softmax: boolean, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const values = (count: number, scale: number, offset = 0) => Array.from({ length: count }, () => offset + (2 * random() - 1) * scale);
  const b = new OnnxBuilder();
  b.input('image', ['batch', 3, 12, 12]);
  const w = (name: string, dims: number[]) => b.floats(name, dims, values(dims.reduce((x, y) => x * y, 1), Math.sqrt(6 / (dims[1] * (dims[2] ?? 1) * (dims[3] ?? 1)))));
  b.node('Conv', ['image', w('w1', [8, 3, 3, 3])], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1');
  b.floats('bn.scale', [8], values(8, 0.5, 1));
  b.floats('bn.bias', [8], values(8, 0.2));
  b.floats('bn.mean', [8], values(8, 0.3));
  b.floats('bn.var', [8], values(8, 0.4, 0.8));
  b.node('BatchNormalization', ['c1', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'], ['b1'], { epsilon: { float: 1e-3 } }, 'bn1');
  b.node('Relu', ['b1'], ['r1'], {}, 'relu1');
  if (opset >= 11) b.node('Pad', ['r1', b.int64s('pads', [8], [0, 0, 1, 1, 0, 0, 0, 0])], ['p1'], { mode: 'constant' }, 'pad');
  else b.node('Pad', ['r1'], ['p1'], { mode: 'constant', pads: [0, 0, 1, 1, 0, 0, 0, 0], value: { float: 0 } }, 'pad');
  b.floats('b2', [8], values(8, 0.1));
  b.node('Conv', ['p1', w('w2', [8, 8, 3, 3]), 'b2'], ['c2'], { kernel_shape: [3, 3], pads: [0, 0, 1, 1], strides: [2, 2] }, 'conv2');
  if (opset >= 11) b.node('Clip', ['c2', b.floats('zero', [], [0])], ['k2'], {}, 'clip');
  else b.node('Clip', ['c2'], ['k2'], { min: { float: 0 } }, 'clip');
  b.floats('b3', [8], values(8, 0.1));
  b.floats('b4', [8], values(8, 0.1));
  b.node('Conv', ['k2', w('w3', [8, 8, 1, 1]), 'b3'], ['c3'], { kernel_shape: [1, 1], auto_pad: 'SAME_UPPER' }, 'conv3');
  b.node('Conv', ['k2', w('w4', [8, 8, 3, 3]), 'b4'], ['c4'], { kernel_shape: [3, 3], auto_pad: 'SAME_UPPER' }, 'conv4');
  b.node('LeakyRelu', ['c4'], ['l4'], { alpha: { float: 0.1 } }, 'leaky4');
  b.node('Sum', ['c3', 'l4'], ['s'], {}, 'sum');
  b.node('Relu', ['s'], ['sr'], {}, 'relu_sum');
  b.node('MaxPool', ['sr'], ['m'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
  b.node('Shape', ['m'], ['shape'], {}, 'shape');
  b.node('Gather', ['shape', b.int64s('zero_index', [], [0])], ['batch'], { axis: 0 }, 'gather');
  if (opset >= 13) b.node('Unsqueeze', ['batch', b.int64s('axis0', [1], [0])], ['batch1'], {}, 'unsqueeze');
  else b.node('Unsqueeze', ['batch'], ['batch1'], { axes: [0] }, 'unsqueeze');
  b.node('Concat', ['batch1', b.int64s('minus_one', [1], [-1])], ['target'], { axis: 0 }, 'concat');
  b.node('Reshape', ['m', 'target'], ['flat'], {}, 'reshape');
  b.node('MatMul', ['flat', b.floats('fc1.w', [72, 16], values(72 * 16, Math.sqrt(6 / 72)))], ['mm'], {}, 'fc1');
  b.node('Add', ['mm', b.floats('fc1.b', [16], values(16, 0.1))], ['fc1_out'], {}, 'fc1_bias');
  b.node('Relu', ['fc1_out'], ['fc1_relu'], {}, 'fc1_relu');
  b.node('Dropout', ['fc1_relu'], ['drop'], {}, 'dropout');
  b.floats('fc2.w', [16, 10], values(160, Math.sqrt(6 / 16)));
  b.floats('fc2.b', [10], values(10, 0.1));
  b.node('Gemm', ['drop', 'fc2.w', 'fc2.b'], ['logits'], { alpha: { float: 0.5 }, beta: { float: 2 } }, 'fc2');
  b.node('Identity', ['logits'], ['scores'], {}, 'identity');
  if (softmax) b.node('Softmax', ['scores'], ['probabilities'], {}, 'softmax');
  b.output(softmax ? 'probabilities' : 'scores', ['batch', 10]);
  return b.write('exporter-style', {}, opset).bytes;
}

describe('tensors as exporters store them', () => {
  it('float_data, fp16 bits in int32_data, bf16 and fp64 raw data, int64_data: all read, sizes checked', async () => {
    const external = new ExternalData('net.onnx', undefined);
    const tensor = (fields: Parameters<typeof create<typeof TensorProtoSchema>>[1]) => readTensor(create(TensorProtoSchema, { name: 't', dims: [2n], ...fields }), external, 'net.onnx');
    expect((await tensor({ dataType: 1, floatData: [1.5, -2] })).values).toEqual(Float32Array.of(1.5, -2));
    expect((await tensor({ dataType: 10, int32Data: [floatToHalf(0.5), floatToHalf(-3)] })).values).toEqual(Float32Array.of(0.5, -3));
    const bf16 = new Uint8Array(new Uint16Array([new Uint32Array(Float32Array.of(1.25).buffer)[0] >>> 16, new Uint32Array(Float32Array.of(-8).buffer)[0] >>> 16]).buffer);
    expect((await tensor({ dataType: 16, rawData: bf16 })).values).toEqual(Float32Array.of(1.25, -8));
    expect((await tensor({ dataType: 11, rawData: new Uint8Array(Float64Array.of(0.25, 4).buffer) })).values).toEqual(Float32Array.of(0.25, 4));
    expect(await tensor({ dataType: 7, int64Data: [3n, -1n] })).toMatchObject({ type: 'int', values: Float64Array.of(3, -1) });
    await expect(tensor({ dataType: 1, floatData: [1] })).rejects.toThrow('net.onnx: initializer "t" holds 1 values, its dims [2] need 2');
    await expect(tensor({ dataType: 8 })).rejects.toThrow('net.onnx: initializer "t" is of type STRING');
  });
});

describe('graphs as exporters write them', () => {
  for (const [opset, softmax] of [[7, true], [9, false], [13, true], [18, false]] as const) {
    it(`opset ${opset}: BatchNormalization, Pad, Clip, Sum, Reshape and MatMul + Add fold into our ops; the GPU equals ONNX Runtime and the reference`, async () => {
      const bytes = exporterStyleOnnx(opset, softmax, opset);
      const { model, note } = await loadOnnx({ bytes, fileName: 'exporter.onnx' });
      expect(note).toMatch(/^exporter\.onnx: ONNX stores no preprocessing; assumed --mean 0,0,0 --std 1,1,1 --resize stretch --scale 1/);
      const summary = model.nodes.map((n) => `${n.kind}:${n.name}${'activation' in n ? `:${n.activation}` : ''}${'padding' in n ? `:p${n.padding}s${n.stride}` : ''}`);
      expect(summary).toEqual([
        'conv2d:conv1:relu:p1s1',
        'conv2d:conv2:relu:p1s2',
        'conv2d:conv3:linear:p0s1',
        'conv2d:conv4:leaky:p1s1',
        'add:sum:relu',
        'maxpool:pool',
        'flatten:reshape',
        'dense:fc1:relu',
        'dense:fc2:linear',
        ...(softmax ? ['softmax:softmax'] : []),
      ]);
      await checkModel(model, bytes, [3, 4], 3);
    });
  }

  it('an AveragePool over the whole map is a global average pool; a symbolic input size needs --size', async () => {
    const b = new OnnxBuilder();
    b.input('x', ['N', 3, 'H', 'W']);
    const random = seededRandom(5);
    b.floats('w', [6, 3, 3, 3], Array.from({ length: 162 }, () => random() - 0.5));
    b.node('Conv', ['x', 'w'], ['c'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'conv');
    b.node('Relu', ['c'], ['r'], {}, 'relu');
    b.node('AveragePool', ['r'], ['a'], { kernel_shape: [5, 5] }, 'avg');
    b.node('Flatten', ['a'], ['f'], { axis: 1 }, 'flatten');
    b.floats('fc', [4, 6], Array.from({ length: 24 }, () => random() - 0.5));
    b.node('Gemm', ['f', 'fc'], ['y'], { transB: 1 }, 'fc');
    b.output('y', ['N', 4]);
    const { bytes } = b.write('avg');
    await expect(load({ bytes })).rejects.toThrow(/^net\.onnx: input "x" has a symbolic height; give the input size with --size N$/);
    const model = await load({ bytes, preprocess: { size: 10 } });
    expect(model.nodes.map((n) => n.kind)).toEqual(['conv2d', 'globalAvgPool', 'dense']);
    expect(model.input).toEqual({ channels: 3, height: 10, width: 10 });
    await checkModel(model, bytes, [1], 4);
  });

  it('the preprocessing given is the model\'s, and the note lists only the defaults used', async () => {
    const bytes = exporterStyleOnnx(13, true, 1);
    const given: PreprocessOptions = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4], resize: 'letterbox', bgr: true, scale: 255 };
    const { model, note } = await loadOnnx({ bytes, fileName: 'net.onnx', preprocess: given, labels: Array.from({ length: 10 }, (_, i) => `c${i}`) });
    expect(note).toBeNull();
    expect(model.preprocess).toMatchObject({ width: 12, height: 12, resize: 'letterbox', letterboxFill: 127.5, scale: 1, mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4], channelOrder: 'bgr' });
    const partial = await loadOnnx({ bytes, fileName: 'net.onnx', preprocess: { resize: 'shorter-side-crop' } });
    expect(partial.model.preprocess).toMatchObject({ resize: 'center-crop', cropFraction: 1 });
    expect(partial.note).toMatch(/assumed --mean 0,0,0 --std 1,1,1 --scale 1 \(/);
  });
});

/**
 * The ops of Inception, DenseNet, MobileNet and Caffe's AlexNet as exporters write them, at opset 10 (Clip's bounds
 * as attributes) or 13 (as inputs), on a 24×24 input: a strided SAME_UPPER conv (pads [0, 0, 1, 1]) → Relu; a conv
 * of 2 groups with pads [1, 0, 1, 2] → Clip(0, 6); a 2×2 depthwise SAME_LOWER conv (pads [1, 1, 0, 0]); Concat of the
 * two → BatchNormalization → Relu (no conv before it); AveragePools 3×3/2 with pads 1 in ceil mode counting the
 * padding and not (the last window reaches past the padding: divisors 2 and 1) → Concat → LeakyRelu 0.1; a 2×2/2
 * SAME_UPPER MaxPool (pads [0, 0, 1, 1]: our ceil mode) → LRN of size 5 → Relu; a 3×3/1 MaxPool with pads 1 → Mul
 * and Add per channel → LRN of size 3 → Clip(0, 6); a VALID 3×3 conv → GlobalAveragePool → Flatten.
 */
function inceptionStyleOnnx(opset: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const values = (count: number, scale: number, offset = 0) => Array.from({ length: count }, () => offset + (2 * random() - 1) * scale);
  const b = new OnnxBuilder();
  b.input('image', [1, 3, 24, 24]);
  const w = (name: string, dims: number[]) => b.floats(name, dims, values(dims.reduce((x, y) => x * y, 1), Math.sqrt(6 / (dims[1] * dims[2] * dims[3]))));
  const bias = (name: string, count: number) => b.floats(name, [count], values(count, 0.1));
  const clip6 = (input: string, output: string, name: string) => {
    if (opset >= 11) b.node('Clip', [input, b.floats(`${name}.min`, [], [0]), b.floats(`${name}.max`, [], [6])], [output], {}, name);
    else b.node('Clip', [input], [output], { min: { float: 0 }, max: { float: 6 } }, name);
  };
  b.node('Conv', ['image', w('w0', [8, 3, 3, 3]), bias('b0', 8)], ['c0'], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, 'stem');
  b.node('Relu', ['c0'], ['r0'], {}, 'stem_relu');
  b.node('Conv', ['r0', w('w1', [8, 4, 3, 3]), bias('b1', 8)], ['c1'], { kernel_shape: [3, 3], pads: [1, 0, 1, 2], group: 2 }, 'grouped');
  clip6('c1', 'r1', 'grouped_relu6');
  b.node('Conv', ['r0', w('w2', [8, 1, 2, 2]), bias('b2', 8)], ['c2'], { kernel_shape: [2, 2], auto_pad: 'SAME_LOWER', group: 8 }, 'depthwise');
  b.node('Concat', ['r1', 'c2'], ['cat1'], { axis: 1 }, 'cat1');
  b.floats('bn.scale', [16], values(16, 0.5, 1));
  b.floats('bn.bias', [16], values(16, 0.2));
  b.floats('bn.mean', [16], values(16, 0.3));
  b.floats('bn.var', [16], values(16, 0.4, 0.8));
  b.node('BatchNormalization', ['cat1', 'bn.scale', 'bn.bias', 'bn.mean', 'bn.var'], ['n1'], { epsilon: { float: 1e-3 } }, 'norm');
  b.node('Relu', ['n1'], ['nr1'], {}, 'norm_relu');
  const average = { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 };
  b.node('AveragePool', ['nr1'], ['a1'], { ...average, count_include_pad: 1 }, 'avg_with_pad');
  b.node('AveragePool', ['nr1'], ['a2'], average, 'avg_without_pad');
  b.node('Concat', ['a1', 'a2'], ['cat2'], { axis: -3 }, 'cat2');
  b.node('LeakyRelu', ['cat2'], ['l2'], { alpha: { float: 0.1 } }, 'leaky');
  b.node('MaxPool', ['l2'], ['m1'], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER' }, 'pool_same');
  b.node('LRN', ['m1'], ['lrn5'], { size: 5, alpha: { float: 0.5 }, beta: { float: 0.75 }, bias: { float: 2 } }, 'lrn5');
  b.node('Relu', ['lrn5'], ['rl'], {}, 'lrn_relu');
  b.node('MaxPool', ['rl'], ['m2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'pool_padded');
  b.node('Mul', ['m2', b.floats('mul.c', [1, 32, 1, 1], values(32, 0.5, 1))], ['mul'], {}, 'scale');
  b.node('Add', ['mul', b.floats('add.c', [32, 1, 1], values(32, 0.3))], ['shifted'], {}, 'shift');
  b.node('LRN', ['shifted'], ['lrn3'], { size: 3, alpha: { float: 0.2 }, beta: { float: 0.5 } }, 'lrn3');
  clip6('lrn3', 'r6', 'relu6');
  b.node('Conv', ['r6', w('w3', [10, 32, 3, 3]), bias('b3', 10)], ['c3'], { kernel_shape: [3, 3], auto_pad: 'VALID' }, 'head');
  b.node('GlobalAveragePool', ['c3'], ['g'], {}, 'gap');
  b.node('Flatten', ['g'], ['scores'], { axis: 1 }, 'flatten');
  b.output('scores', [1, 10]);
  return b.write('inception-style', {}, opset).bytes;
}

describe('grouped, depthwise and padded convs, padded and ceil-mode pools, concat, batch norm, LRN and activations as exporters write them', () => {
  for (const opset of [10, 13]) {
    it(`opset ${opset}: each is one of our ops; the GPU equals ONNX Runtime and the reference, the trees the reference`, async () => {
      const bytes = inceptionStyleOnnx(opset, opset);
      const model = await load({ bytes });
      const summary = model.nodes.map((node) => {
        const { inputs: _i, output: _o, ...spec } = specOf(node);
        return spec;
      });
      expect(summary).toEqual([
        { kind: 'conv2d', name: 'stem', kernel: 3, stride: 2, padding: 0, pads: [0, 0, 1, 1], inChannels: 3, outChannels: 8, activation: 'relu' },
        { kind: 'conv2d', name: 'grouped', kernel: 3, stride: 1, padding: 0, pads: [1, 0, 1, 2], groups: 2, inChannels: 8, outChannels: 8, activation: 'relu6' },
        { kind: 'conv2d', name: 'depthwise', kernel: 2, stride: 1, padding: 0, pads: [1, 1, 0, 0], groups: 8, inChannels: 8, outChannels: 8, activation: 'linear' },
        { kind: 'concat', name: 'cat1' },
        { kind: 'batchnorm', name: 'norm', channels: 16, activation: 'relu' },
        { kind: 'avgpool', name: 'avg_with_pad', size: 3, stride: 2, padding: 1, countIncludePad: true, ceilMode: true },
        { kind: 'avgpool', name: 'avg_without_pad', size: 3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true },
        { kind: 'concat', name: 'cat2' },
        { kind: 'activation', name: 'leaky', activation: 'leaky' },
        { kind: 'maxpool', name: 'pool_same', size: 2, stride: 2, ceilMode: true },
        { kind: 'lrn', name: 'lrn5', size: 5, alpha: 0.5, beta: 0.75, bias: 2 },
        { kind: 'activation', name: 'lrn_relu', activation: 'relu' },
        { kind: 'maxpool', name: 'pool_padded', size: 3, stride: 1, padding: 1 },
        { kind: 'batchnorm', name: 'scale', channels: 32, activation: 'linear' },
        { kind: 'lrn', name: 'lrn3', size: 3, alpha: Math.fround(0.2), beta: 0.5, bias: 1 },
        { kind: 'activation', name: 'relu6', activation: 'relu6' },
        { kind: 'conv2d', name: 'head', kernel: 3, stride: 1, padding: 0, inChannels: 32, outChannels: 10, activation: 'linear' },
        { kind: 'globalAvgPool', name: 'gap' },
      ]);
      expect(graphOf(model).shapes.get('avg_with_pad')).toEqual({ channels: 16, height: 7, width: 7 });
      await checkModel(model, bytes, [3, 4], 3);
    });
  }

  // ONNX Runtime refuses even sizes (its LRN kernel asserts an odd one), so ONNX's own definition is the oracle here.
  it('an LRN of even size sums ONNX\'s window, ⌊(size − 1) / 2⌋ channels before and ⌈(size − 1) / 2⌉ after', async () => {
    const b = new OnnxBuilder();
    b.input('x', [1, 3, 5, 5]);
    const random = seededRandom(3);
    b.node('Conv', ['x', b.floats('w', [7, 3, 1, 1], Array.from({ length: 21 }, () => random() - 0.5))], ['c'], { kernel_shape: [1, 1] }, 'conv');
    b.node('LRN', ['c'], ['n'], { size: 4, alpha: { float: 0.75 }, beta: { float: 0.5 }, bias: { float: 0.5 } }, 'lrn4');
    b.node('GlobalAveragePool', ['n'], ['y'], {}, 'gap');
    b.output('y', [1, 7, 1, 1]);
    const model = await load({ bytes: b.write('lrn4').bytes });
    expect(model.nodes.map((n) => n.kind)).toEqual(['conv2d', 'lrn', 'globalAvgPool']);
    const input = randomInput(75, 2);
    const activations = forwardReference(model, input);
    const x = activations.get('conv')!;
    const plane = 25;
    const spec = Float32Array.from(x, (v, i) => {
      const c = Math.floor(i / plane);
      let squares = 0;
      for (let j = Math.max(0, c - 1); j <= Math.min(6, c + 2); j++) squares += x[j * plane + (i % plane)] ** 2;
      return v / (0.5 + (Math.fround(0.75) / 4) * squares) ** 0.5;
    });
    expectClose(activations.get('lrn4')!, spec, 1e-6, 'LRN(4) against ONNX\'s definition');
    const { gpu } = await gpuOf(model);
    await gpu.runTensor(input);
    expectClose((await gpu.readActivations()).get('lrn4')!, spec, 1e-4, 'LRN(4) on the GPU');
  });
});

/** Debian's python3-torchvision, when present: torch.onnx.export as a real exporter (test/helpers/torchvision_oracle.py). */
const python = '/usr/bin/python3';
const hasTorchvision = (() => {
  try {
    execFileSync(python, ['-c', 'import torch.onnx, torchvision'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasTorchvision) console.log('skipping the torch.onnx.export tests: /usr/bin/python3 has no torch and torchvision');

describe.skipIf(!hasTorchvision)('torchvision networks as torch.onnx.export writes them (seeded weights and batch-norm statistics)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'fixations-onnx-torch-'));
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
  const cases: [string, number, string[]][] = [
    ['resnet18', 64, ['conv2d', 'maxpool', 'add', 'globalAvgPool', 'dense']],
    ['mobilenet_v2', 64, ['conv2d', 'add', 'globalAvgPool', 'dense']],
    // Its BatchNormalizations after a Concat stay (our batchnorm, ReLU fused); a layer's Concat of one tensor is that tensor.
    ['densenet121', 64, ['conv2d', 'maxpool', 'batchnorm', 'concat', 'avgpool', 'globalAvgPool', 'dense']],
    ['googlenet', 64, ['conv2d', 'maxpool', 'concat', 'globalAvgPool', 'dense']],
    // torch exports the adaptive pool to 6×6 only where it divides the map: here it is the identity.
    ['alexnet', 224, ['conv2d', 'maxpool', 'flatten', 'dense']],
  ];
  for (const [name, size, kinds] of cases) {
    it(`${name} at ${size}×${size}: our CPU reference gives torch's logits and ONNX Runtime's`, async () => {
      const dir = join(scratch, name);
      mkdirSync(dir, { recursive: true });
      execFileSync(python, [new URL('./helpers/torchvision_oracle.py', import.meta.url).pathname, name, String(size), '5', dir, 'onnx'], { stdio: 'pipe' });
      const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
      const model = await load({ bytes, fileName: `${name}.onnx` });
      expect([...new Set(model.nodes.map((n) => n.kind))]).toEqual(kinds);
      const floats = (file: string) => {
        const data = readFileSync(join(dir, file));
        return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      };
      const input = floats('input.bin');
      const scores = forwardReference(model, input).get(model.output)!;
      expectClose(scores, floats('logits.bin'), 1e-4, `${name} logits against torch`);
      const session = await ortSession(bytes, [1, 3, size, size]);
      const theirs = await session.run(input);
      await session.release();
      expectScoresMatchOrt(scores, theirs, `${name} (torch.onnx.export)`);
    });
  }
});

describe('what cannot be imported', () => {
  it('one error names every unsupported node with its op type and position, and loads nothing', async () => {
    const b = new OnnxBuilder();
    b.input('x', [1, 3, 8, 8]);
    const random = seededRandom(9);
    const w = (name: string, dims: number[]) => b.floats(name, dims, Array.from({ length: dims.reduce((p, q) => p * q, 1) }, () => random() - 0.5));
    b.node('Conv', ['x', w('w1', [8, 3, 3, 3])], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1');
    b.node('Conv', ['c1', w('w2', [8, 4, 3, 3])], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 }, 'grouped');
    b.node('Conv', ['c1', w('w3', [8, 8, 3, 3])], ['d'], { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] }, 'dilated');
    b.node('Concat', ['c2', 'd'], ['tall'], { axis: 2 }, 'stack_rows');
    b.node('MaxPool', ['tall'], ['wide'], { kernel_shape: [3, 3], pads: [2, 2, 2, 2] }, 'pool_wide_pads');
    b.node('AveragePool', ['c2'], ['a'], { kernel_shape: [3, 3], pads: [1, 0, 1, 0] }, 'avg_rows_padded');
    b.node('Conv', ['a', w('w4', [8, 8, 3, 3])], ['c3'], { kernel_shape: [3, 3], pads: [3, 1, 1, 1] }, 'conv_wide_pads');
    b.node('Concat', ['c2', 'c1'], ['cat'], { axis: 1 }, 'concat');
    b.node('HardSigmoid', ['cat'], ['h'], {}, 'gate');
    // Below an unknown op nothing can be judged: the padded max pool is not reported.
    b.node('MaxPool', ['h'], ['m'], { kernel_shape: [3, 3], strides: [2, 2], pads: [4, 4, 4, 4] }, 'pool');
    b.node('GlobalAveragePool', ['m'], ['g'], {}, 'gap');
    b.node('Flatten', ['g'], ['y'], {}, 'flatten');
    b.output('y', [1, 16]);
    const error = await load({ bytes: b.write('bad').bytes }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/\n/);
    expect(message).toMatch(/^net\.onnx: cannot be imported: 6 nodes \(Conv, Concat, MaxPool, AveragePool, HardSigmoid\) are not supported: node 3 of 12 /);
    expect(message).toContain('node 3 of 12 "dilated" (Conv): dilations [2, 2]; only dilation 1 is supported');
    expect(message).toContain('node 4 of 12 "stack_rows" (Concat): concatenates along axis 2; our concat stacks channels (axis 1)');
    expect(message).toContain('node 5 of 12 "pool_wide_pads" (MaxPool): pads [2, 2, 2, 2] (top, left, bottom, right) on a 3×3 window; our pools pad a side by at most half the window (1), as PyTorch does');
    expect(message).toContain(
      'node 6 of 12 "avg_rows_padded" (AveragePool): pads [1, 0, 1, 0] (top, left, bottom, right) over its 8×8 input; our pools pad every side alike, and no padding and ceil mode of ours pools the same windows',
    );
    expect(message).toContain('node 7 of 12 "conv_wide_pads" (Conv): pads [3, 1, 1, 1] (top, left, bottom, right) on a 3×3 kernel; our conv2d pads each side by less than the kernel');
    expect(message).toContain('node 9 of 12 "gate" (HardSigmoid): no such op here');
    expect(message).not.toContain('"pool"');
    expect(message).toContain('Supported ONNX ops: Conv, Relu, LeakyRelu');
  });

  it('a SAME_UPPER average pool with pads [0, 0, 1, 1] is our ceil mode when it does not count the padding; counting it, no pool of ours divides alike', async () => {
    const pooled = (countIncludePad: number) => {
      const b = new OnnxBuilder();
      b.input('x', [1, 3, 7, 7]);
      b.floats('w', [4, 3, 1, 1], Array.from({ length: 12 }, (_, i) => (i % 5) / 4 - 0.4));
      b.node('Conv', ['x', 'w'], ['c'], { kernel_shape: [1, 1] }, 'conv');
      b.node('AveragePool', ['c'], ['a'], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'SAME_UPPER', count_include_pad: countIncludePad }, 'avg');
      b.node('Flatten', ['a'], ['y'], {}, 'flatten');
      b.output('y', [1, 64]);
      return b.write('same').bytes;
    };
    const bytes = pooled(0);
    const model = await load({ bytes });
    expect(model.nodes[1]).toMatchObject({ kind: 'avgpool', size: 2, stride: 2, padding: 0, ceilMode: true, countIncludePad: false });
    await checkModel(model, bytes, [1], 2);
    await expect(load({ bytes: pooled(1) })).rejects.toThrow(
      'node 2 of 3 "avg" (AveragePool): pads [0, 0, 1, 1] (top, left, bottom, right) over its 7×7 input; our pools pad every side alike, and no padding and ceil mode of ours pools the same windows with the same divisors',
    );
  });

  it('a LeakyRelu of another slope and a Clip to other bounds are named, fused or not; a BatchNormalization first is our batchnorm', async () => {
    const b = new OnnxBuilder();
    b.input('x', [1, 3, 4, 4]);
    for (const name of ['s', 'b', 'm', 'v']) b.floats(name, [3], [1, 1, 1]);
    b.node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['n'], {}, 'bn');
    b.floats('w', [3, 3, 1, 1], Array.from({ length: 9 }, (_, i) => i));
    b.node('Conv', ['n', 'w'], ['c'], { kernel_shape: [1, 1] }, 'conv');
    b.node('LeakyRelu', ['c'], ['l'], { alpha: { float: 0.2 } }, 'leaky');
    b.node('Clip', ['l', b.floats('lo', [], [0]), b.floats('hi', [], [1])], ['r1'], {}, 'clip01');
    b.node('GlobalAveragePool', ['r1'], ['y'], {}, 'gap');
    b.output('y', [1, 3, 1, 1]);
    await expect(load({ bytes: b.write('bad').bytes })).rejects.toThrow(
      /: 2 nodes \(LeakyRelu, Clip\) are not supported: node 3 of 5 "leaky" \(LeakyRelu\): LeakyRelu with alpha 0\.2; our ops compute Relu, LeakyRelu with alpha 0\.1, Clip to \[0, 6\] \(ReLU6\) and Clip to \[0, ∞\); node 4 of 5 "clip01" \(Clip\): Clip to \[0, 1\]; our ops/,
    );
    const good = new OnnxBuilder();
    good.input('x', [1, 3, 4, 4]);
    for (const name of ['s', 'b', 'm', 'v']) good.floats(name, [3], [1.5, 0.5, 2]);
    good.node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['n'], { epsilon: { float: 0.25 } }, 'bn');
    good.node('GlobalAveragePool', ['n'], ['y'], {}, 'gap');
    good.output('y', [1, 3, 1, 1]);
    const model = await load({ bytes: good.write('bn').bytes });
    const [bn] = model.nodes;
    if (bn.kind !== 'batchnorm') throw new Error(`${bn.kind}, not batchnorm`);
    const scale = [1.5, 0.5, 2].map((s, c) => s / Math.sqrt([1.5, 0.5, 2][c] + 0.25));
    expectClose(bn.weight, scale, 1e-6, 'scale γ / √(var + ε)');
    expectClose(bn.bias, [1.5, 0.5, 2].map((beta, c) => beta - [1.5, 0.5, 2][c] * scale[c]), 1e-6, 'shift β − mean · scale');
  });
});

describe('bad files: one line naming the file, nothing loaded', () => {
  const good = () => writeOnnx(randomModel(residualArchitectures()[0], 1));
  const scratch = mkdtempSync(join(tmpdir(), 'fixations-onnx-'));

  async function failure(options: Partial<OnnxModelOptions> & { bytes: Uint8Array }): Promise<string> {
    const error = await load(options).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/\n/);
    return message;
  }

  it('a truncated protobuf, a zip or PNG renamed .onnx, random bytes, an empty file', async () => {
    const { bytes } = good();
    expect(await failure({ bytes: bytes.subarray(0, Math.floor(bytes.length * 0.6)) })).toMatch(/^net\.onnx: is not a readable ONNX model: its protobuf does not parse \(.+\); the file is truncated or not ONNX$/);
    expect(await failure({ bytes: Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 1, 2, 3) })).toMatch(/^net\.onnx: is a zip archive \(a PyTorch \.pt\/\.pth checkpoint/);
    expect(await failure({ bytes: Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10) })).toMatch(/^net\.onnx: is a picture, not an ONNX model$/);
    const random = seededRandom(4);
    expect(await failure({ bytes: Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256)) })).toMatch(/^net\.onnx: is not (a readable ONNX model|an ONNX model)/);
    expect(await failure({ bytes: new Uint8Array(0) })).toBe('net.onnx: is empty');
  });

  it('missing external data: named, from disk and from a reader', async () => {
    const { bytes, externalData } = writeOnnx(randomModel(residualArchitectures()[0], 1), { externalData: 'net.onnx.data' });
    expect(await failure({ bytes })).toBe('net.onnx: initializer "stem.weight" is in the external data file "net.onnx.data", which was not given');
    writeFileSync(join(scratch, 'net.onnx'), bytes);
    await expect(loadModelFile(join(scratch, 'net.onnx'))).rejects.toThrow(/net\.onnx\.data: cannot read the external data of net\.onnx \(ENOENT\)$/);
    writeFileSync(join(scratch, 'net.onnx.data'), externalData!.subarray(0, 1000));
    await expect(loadModelFile(join(scratch, 'net.onnx'))).rejects.toThrow(/^net\.onnx: initializer "\S+" lies at bytes \d+–\d+ of "net\.onnx\.data", which has 1000: the data file is truncated/);
    writeFileSync(join(scratch, 'net.onnx.data'), externalData!);
    const loaded = await loadModelFile(join(scratch, 'net.onnx'), { onNote: () => {} });
    expect(loaded.nodes).toHaveLength(14);
  });

  it('an initializer of the wrong size, NaN weights', async () => {
    const wrongSize = new OnnxBuilder().input('x', [1, 3, 4, 4]).output('y', [1, 2, 1, 1]);
    wrongSize.floats('w', [2, 3, 1, 1], [1, 2, 3, 4, 5]);
    wrongSize.node('Conv', ['x', 'w'], ['c'], { kernel_shape: [1, 1] }, 'conv').node('GlobalAveragePool', ['c'], ['y'], {}, 'gap');
    expect(await failure({ bytes: wrongSize.write('w').bytes })).toBe('net.onnx: initializer "w" holds 20 bytes, its dims [2, 3, 1, 1] of FLOAT need 24');
    const nan = new OnnxBuilder().input('x', [1, 3, 4, 4]).output('y', [1, 2, 1, 1]);
    nan.floats('w', [2, 3, 1, 1], [1, 2, NaN, 4, 5, 6]);
    nan.node('Conv', ['x', 'w'], ['c'], { kernel_shape: [1, 1] }, 'conv').node('GlobalAveragePool', ['c'], ['y'], {}, 'gap');
    expect(await failure({ bytes: nan.write('w').bytes })).toBe('net.onnx: node 1 of 2 "conv" (Conv): its weight "w" holds NaN at index 2: the weights are corrupt');
  });

  it('a graph with a cycle, a graph with two inputs', async () => {
    const cycle = new OnnxBuilder().input('x', [1, 3, 4, 4]).output('y', [1, 3, 1, 1]);
    cycle.node('Add', ['x', 'r'], ['a'], {}, 'add').node('Relu', ['a'], ['r'], {}, 'relu').node('GlobalAveragePool', ['r'], ['y'], {}, 'gap');
    expect(await failure({ bytes: cycle.write('c').bytes })).toBe('net.onnx: the graph has a cycle: node 1 of 3 "add" (Add), node 2 of 3 "relu" (Relu), node 3 of 3 "gap" (GlobalAveragePool) wait on each other');
    const two = new OnnxBuilder().input('x', [1, 3, 4, 4]).input('z', [1, 3, 4, 4]).output('y', [1, 3, 4, 4]);
    two.node('Add', ['x', 'z'], ['y'], {}, 'add');
    expect(await failure({ bytes: two.write('t').bytes })).toBe('net.onnx: the graph has 2 inputs (x, z); a classifier here takes one photo');
  });
});

describe('the page\'s ONNX format', () => {
  it('takes the .onnx with its .data file and names, asks for the preprocessing, and says which file is missing', async () => {
    const model = randomModel(residualArchitectures()[1], 6);
    const { bytes, externalData } = writeOnnx(model, { externalData: 'net.onnx.data' });
    const file = (name: string, content: BlobPart) => new File([content], name);
    const asked: unknown[] = [];
    setOnnxPrompt(async (input) => {
      asked.push(input);
      return { preprocess: { mean: [0.1, 0.2, 0.3], std: [0.5, 0.5, 0.5] } };
    });
    const names = Array.from({ length: 9 }, (_, i) => `n${i}`);
    const files = [file('net.onnx', bytes as BlobPart), file('net.onnx.data', externalData! as BlobPart), file('names.txt', names.join('\n'))];
    expect(modelFormatForFiles(sortDroppedFiles(files).modelFiles)?.id).toBe('onnx');
    const loaded = await onnxFormat.fromFiles(files, () => {});
    expectSameGraph(loaded, model);
    expect(loaded.labels).toEqual(names);
    expect(loaded.preprocess).toMatchObject({ mean: [0.1, 0.2, 0.3], std: [0.5, 0.5, 0.5], resize: 'resize' });
    expect(asked).toEqual([{ file: 'net.onnx', height: 11, width: 13, labelsFile: 'names.txt' }]);
    await expect(onnxFormat.fromFiles(files.slice(0, 1), () => {})).rejects.toThrow('net.onnx: keeps weights in "net.onnx.data": drop that file together with net.onnx');
    setOnnxPrompt(async () => null);
    await expect(onnxFormat.fromFiles(files, () => {})).rejects.toBeInstanceOf(LoadCancelled);
    setOnnxPrompt(async () => ({ preprocess: {} }));
  });
});

describe('the benchmark takes --model net.onnx', () => {
  it('as part model, with its preprocessing flags and class names', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'fixations-onnx-bench-'));
    const model = randomModel(residualArchitectures()[1], 8);
    writeFileSync(join(scratch, 'net.onnx'), writeOnnx(model).bytes);
    writeFileSync(join(scratch, 'names.txt'), model.labels.join('\n'));
    const options = parseBenchOptions(['--quick', '--model', join(scratch, 'net.onnx'), '--mean', '0.5,0.5,0.5', '--class-names', join(scratch, 'names.txt')]);
    expect(options.parts).toEqual(['vgg19', 'tiny-darknet', 'model']);
    const subject = await prepareSubject('model', options);
    if ('skipped' in subject) throw new Error(subject.skipped);
    expect(subject.label).toBe('net 13×11');
    expect(subject.model.preprocess.mean).toEqual([0.5, 0.5, 0.5]);
    expectSameGraph(subject.model, model);
    expect(() => parseBenchOptions(['--model', join(scratch, 'names.txt')])).toThrow(/--model takes an ONNX model/);
  });
});

/** The photos of a data folder, decoded once. */
async function photos(dir: string, files: string[]) {
  return Promise.all(files.map(async (f) => ({ file: f, photo: await decodeImageFile(join(dir, f)) })));
}

describeWithSharedData('tiny.onnx is the same network and weights as tiny.cfg + tiny.weights', 'tiny-darknet', (dir) => {
  // darknet's recipe: letterboxed with its own bilinear resize (--resize letterbox --resize-filter bilinear).
  const darknet: PreprocessOptions = { resize: 'letterbox', mean: [0, 0, 0], std: [1, 1, 1], scale: 1, resizeFilter: 'bilinear' };

  it('the same graph; identical predictions and fixation sets (both rules) on its photos; ONNX Runtime agrees', async () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'tiny.onnx')));
    const fromOnnx = await loadModelFile(join(dir, 'tiny.onnx'), { preprocess: darknet, labels: join(dir, 'names.txt'), onNote: () => {} });
    const fromCfg = await loadModelFile(join(dir, 'tiny.cfg'));
    expect(fromOnnx.preprocess).toEqual(fromCfg.preprocess);
    expect(fromOnnx.labels).toEqual(fromCfg.labels);
    expect(fromOnnx.nodes.map((n) => n.kind)).toEqual(fromCfg.nodes.map((n) => n.kind));
    const context = await testGpu();
    const [onnx, cfg] = [await Explainer.create(context, fromOnnx), await Explainer.create(context, fromCfg)];
    cleanups.push(() => (onnx.destroy(), cfg.destroy()));
    const session = await ortSession(bytes, [1, 3, 224, 224]);
    let fixations = 0;
    for (const { file, photo } of await photos(join(dir, 'images'), readdirSync(join(dir, 'images')).sort())) {
      const [a, b] = [await onnx.forward(photo), await cfg.forward(photo)];
      expect(a.predictions, file).toEqual(b.predictions);
      for (const rule of rules) {
        for (const target of a.predictions.slice(0, 2)) {
          const [ea, eb] = [await onnx.backtrack(a, rule, target.classIndex), await cfg.backtrack(b, rule, target.classIndex)];
          expect(ea.fixations, `${file} ${rule} class ${target.classIndex}`).toEqual(eb.fixations);
          expect(ea.layers.map((l) => Array.from(l.nodes))).toEqual(eb.layers.map((l) => Array.from(l.nodes)));
          fixations += ea.fixations.length;
        }
      }
      const input = preprocessReference(photo, fromOnnx.preprocess);
      const { scores } = await onnx.gpuModel.runTensor(input);
      expectScoresMatchOrt(scores, await session.run(input), `tiny.onnx ${file}`);
    }
    console.log(`tiny.onnx = tiny.cfg: identical predictions and ${fixations} fixations over both rules`);
  });
});

describeWithSharedData('ResNet-20 for CIFAR-10 from ONNX', 'resnet20-cifar10', (dir) => {
  const preprocess: PreprocessOptions = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const modelPromise = loadModelFile(join(dir, 'resnet20-cifar10.onnx'), { preprocess, labels: join(dir, 'classes.txt') });
  const labels = readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split(/\r?\n/).slice(1).map((line) => {
    const [file, label] = line.split(',');
    return { file, label: Number(label) };
  });

  it('is a real ResNet-20: residual adds, strided 1×1 shortcuts, a global average pool and a dense head', async () => {
    const model = await modelPromise;
    const count = (kind: string) => model.nodes.filter((n) => n.kind === kind).length;
    expect([count('conv2d'), count('add'), count('globalAvgPool'), count('dense')]).toEqual([21, 9, 1, 1]);
    expect(model.nodes.filter((n) => n.kind === 'conv2d' && n.kernel === 1 && n.stride === 2)).toHaveLength(2);
    expect(model.labels).toEqual(readFileSync(join(dir, 'classes.txt'), 'utf8').trim().split(/\r?\n/));
  });

  it('on its photos the GPU equals the CPU reference (forward, both rules\' fixations) and ONNX Runtime; top-1 accuracy on labels.csv', async () => {
    const model = await modelPromise;
    const explainer = await Explainer.create(await testGpu(), model);
    cleanups.push(() => explainer.destroy());
    const session = await ortSession(new Uint8Array(readFileSync(join(dir, 'resnet20-cifar10.onnx'))), [1, 3, 32, 32]);
    let correct = 0;
    let worst = 0;
    for (const { file, photo } of await photos(join(dir, 'images'), labels.map((l) => l.file))) {
      const input = preprocessReference(photo, model.preprocess);
      const state = await explainer.forward(photo);
      const activations = await explainer.gpuModel.readActivations();
      const reference = forwardReference(model, activations.get(inputTensor)!);
      for (const [name, values] of activations) expectClose(values, reference.get(name)!, 1e-4, `${file} tensor ${name}`);
      expectClose(activations.get(inputTensor)!, input, 1e-4, `${file} preprocessed input`);
      for (const rule of rules) {
        const e = await explainer.backtrack(state, rule);
        const tree = { target: e.target.classIndex, rule, levels: e.layers };
        expectTreeMatchesReference(model, activations, tree, rule, `${file} ${rule}`).explainedDifferences.forEach((d) => console.log(d));
      }
      const scores = activations.get(model.output)!;
      const theirs = await session.run(activations.get(inputTensor)!);
      worst = Math.max(worst, expectScoresMatchOrt(scores, theirs, file));
      if (topK(scores, 1)[0] === labels.find((l) => l.file === file)!.label) correct++;
    }
    const accuracy = correct / labels.length;
    console.log(`ResNet-20 (CIFAR-10, ONNX) top-1 on resnet20-cifar10/labels.csv: ${correct}/${labels.length} = ${(accuracy * 100).toFixed(1)} % (reference preprocessing; max relative error against ONNX Runtime ${worst.toExponential(2)})`);
    expect(accuracy).toBeGreaterThan(0.55);
  });

  describe('from the command line', () => {
    const run = promisify(execFile);
    const cli = new URL('../bin/fixations.js', import.meta.url).pathname;
    const scratch = mkdtempSync(join(tmpdir(), 'fixations-onnx-cli-'));
    const fixations = async (...args: string[]) => {
      try {
        const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 64 << 20 });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };
    const onnx = join(dir, 'resnet20-cifar10.onnx');
    const flags = ['--mean', '0.485,0.456,0.406', '--std', '0.229,0.224,0.225', '--class-names', join(dir, 'classes.txt')];
    const photo = join(dir, 'images', labels[0].file);

    it('explain --json and --out, and weights convert keeps the preprocessing and names', async () => {
      const json = join(scratch, 'out.json');
      let result = await fixations('explain', photo, '--model', onnx, ...flags, '--rule', 'official', '--json', json);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/^resnet20-cifar10\.onnx: ONNX stores no preprocessing; assumed --resize stretch --scale 1 \(/);
      const written = JSON.parse(readFileSync(json, 'utf8'));
      expect(written.rule).toBe('official');
      expect(written.fixations.length).toBeGreaterThan(0);
      expect(readFileSync(join(dir, 'classes.txt'), 'utf8')).toContain(written.target.label);

      const out = join(scratch, 'out');
      result = await fixations('explain', join(dir, 'images'), '--model', onnx, ...flags, '--out', out, '--shard', '1/20');
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(out, 'summary-1-of-20.json'), 'utf8'));
      expect(summary.failed).toEqual([]);
      expect(readdirSync(out).filter((f) => f.endsWith('.heatmap.png')).length).toBeGreaterThanOrEqual(4);

      result = await fixations('classify', photo, '--model', onnx);
      expect(result.stderr).toMatch(/resnet20-cifar10\.onnx: ONNX stores no preprocessing; assumed --mean 0,0,0 --std 1,1,1 --resize stretch --scale 1/);

      result = await fixations('weights', 'convert', onnx, ...flags, '--out', scratch);
      expect(result.code, result.stderr).toBe(0);
      const converted = await loadModelFile(join(scratch, 'resnet20-cifar10.fixations.json'));
      const original = await modelPromise;
      expect(converted.preprocess).toEqual(original.preprocess);
      expect(converted.labels).toEqual(original.labels);
      const manifest = JSON.parse(readFileSync(join(scratch, 'resnet20-cifar10.fixations.json'), 'utf8'));
      expect(manifest.source).toEqual({ file: 'resnet20-cifar10.onnx', format: 'onnx' });
      const input = randomInput(3 * 32 * 32, 5);
      expect(forwardReference(converted, input).get(converted.output)).toEqual(forwardReference(original, input).get(original.output));

      result = await fixations('classify', photo, '--model', join(dir, '..', 'tiny-darknet', 'tiny.cfg'), '--mean', '0,0,0');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: --mean set the preprocessing of ONNX models; .*tiny\.cfg stores its own/);
    });
  });
});

describeWithSharedData('the page explains a dropped ONNX model', 'resnet20-cifar10', (dir) => {
  const browserIt = hasChromium() ? it : it.skip;
  browserIt('resnet20-cifar10.onnx + classes.txt + a photo dropped, the form filled with the ImageNet preset: the page equals Node on both rules', async () => {
    const run = promisify(execFile);
    const repo = new URL('..', import.meta.url).pathname;
    const artifacts = join(repo, 'test', 'artifacts');
    const scratch = mkdtempSync(join(tmpdir(), 'fixations-onnx-page-'));
    // Its own build folder: test/browser.test.ts builds dist/ and may run at the same time.
    const dist = join(scratch, 'dist');
    await run(process.execPath, [join(repo, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn', '--outDir', dist, '--emptyOutDir'], { cwd: repo });
    const photoName = labels()[3].file.replace(/\.JPEG$/i, '.png');
    await sharp(join(dir, 'images', labels()[3].file)).png().toFile(join(scratch, photoName));
    const server = await serveFolders({ '/': dist, '/shared-data/': sharedDataRoot, '/scratch/': scratch });
    const browser = await launchChromium();
    try {
      const model = await loadModelFile(join(dir, 'resnet20-cifar10.onnx'), { preprocess: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, labels: join(dir, 'classes.txt'), onNote: () => {} });
      const explainer = await Explainer.create(await testGpu(), model);
      cleanups.push(() => explainer.destroy());
      const photo = await decodeImageFile(join(scratch, photoName));
      const state = await explainer.forward(photo);
      const expected = [];
      for (const rule of rules) expected.push(await explainer.backtrack(state, rule));

      const page = await browser.newPage();
      const log: string[] = [];
      page.on('pageerror', (error) => log.push(`page error: ${(error as Error).message}`));
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => document.body.dataset.state === 'idle', { timeout: 60_000 });
      await page.evaluate(async (files) => {
        const transfer = new DataTransfer();
        for (const [name, url] of files) transfer.items.add(new File([await (await fetch(url)).blob()], name));
        document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, [['resnet20-cifar10.onnx', '/shared-data/resnet20-cifar10/resnet20-cifar10.onnx'], ['classes.txt', '/shared-data/resnet20-cifar10/classes.txt'], [photoName, `/scratch/${photoName}`]]);
      await page.waitForSelector('[data-testid=onnx-form][open]', { timeout: 60_000 });
      expect(await page.$eval('[data-testid=onnx-size]', (e) => [(e as HTMLInputElement).value, (e as HTMLInputElement).disabled])).toEqual(['32', true]);
      mkdirSync(artifacts, { recursive: true });
      await page.setViewport({ width: 1440, height: 960 });
      await page.select('[data-role=preset]', 'imagenet');
      await page.screenshot({ path: join(artifacts, 'onnx-form.png') });
      expect(await page.$eval('[data-testid=onnx-mean]', (e) => (e as HTMLInputElement).value)).toBe('0.485,0.456,0.406');
      await page.click('[data-testid=onnx-form-ok]');
      for (const [i, rule] of rules.entries()) {
        if (rule === 'official') await page.click('[data-testid=rule-official]');
        await page.waitForFunction(
          (name, rule) => (window.__fixations?.photo === name && window.__fixations.rule === rule) || !document.querySelector<HTMLElement>('[data-testid=error-banner]')!.hidden,
          { timeout: 180_000 },
          photoName,
          rule,
        );
        const error = await page.$eval('[data-testid=error-banner]', (b) => ((b as HTMLElement).hidden ? null : b.textContent));
        expect(error, log.join('\n')).toBeNull();
        const result = (await page.evaluate(() => window.__fixations))!;
        expect(result.model).toBe('resnet20-cifar10');
        expect(result.predictions.map((p) => [p.classIndex, p.label]), rule).toEqual(expected[i].predictions.map((p) => [p.classIndex, p.label]));
        expect(result.layers, rule).toEqual(expected[i].layers.map((l) => ({ name: l.name, count: l.nodes.length })));
        expect(result.fixations, rule).toEqual(expected[i].fixations);
      }
      await page.screenshot({ path: join(artifacts, 'onnx-page.png') });
      // The explorer draws the residual graph: every node of the tree, the skips beside their blocks.
      await page.click('[data-testid=tab-explorer]');
      await page.waitForFunction(() => (window.__demo?.app.internals.explorer.explorer?.nodeCount ?? 0) > 0, { timeout: 60_000 });
      const nodes = expected[expected.length - 1].layers.reduce((sum, l) => sum + l.nodes.length, 0);
      expect(await page.evaluate(() => window.__demo!.app.internals.explorer.explorer!.nodeCount)).toBe(nodes);
      await page.screenshot({ path: join(artifacts, 'onnx-explorer.png') });
    } finally {
      await browser.close();
      await server.close();
    }
  });

  function labels() {
    return readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split(/\r?\n/).slice(1).map((line) => ({ file: line.split(',')[0] }));
  }
});
