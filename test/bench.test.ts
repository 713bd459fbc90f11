import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchmark, type BenchRun } from '../bench/benchmark.ts';
import { defaultBenchOptions, parseBenchOptions } from '../bench/options.ts';
import { comparePeerOutput } from '../bench/peers/compare.ts';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { logitsTensor } from '../bench/peers/logits.ts';
import { onnxNames } from '../bench/peers/onnx-names.ts';
import { writePeerOnnx } from '../bench/peers/peer-onnx.ts';
import { buildTfjsModel, chwToHwc, tfjsSession } from '../bench/peers/tfjs-model.ts';
import type { EnvironmentResult, OursModelResult } from '../bench/report-types.ts';
import { median, summarize, timeRepeated } from '../bench/stats.ts';
import { vggMiniOptions, type SubjectName } from '../bench/subjects.ts';
import { checkTargets, peerRatios } from '../bench/targets.ts';
import { graphArchitectures } from '../src/architectures/index.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import type { Architecture, Model } from '../src/graph/model.ts';
import type { DenseLayer } from '../src/ops/layers.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { expectClose } from './helpers/compare.ts';
import { everyOpArchitectures } from './helpers/every-op-graphs.ts';
import { randomInput } from './helpers/nets.ts';

const mini = () => randomModel(vggArchitecture(19, vggMiniOptions), 5);

describe('statistics', () => {
  it('takes the median of odd and even counts without reordering the runs', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const runs = [30, 10, 20];
    expect(summarize(runs, 2)).toEqual({ n: 3, warmup: 2, medianMs: 20, minMs: 10, maxMs: 30, runsMs: [30, 10, 20] });
    expect(() => summarize([])).toThrow(/no timed runs/);
  });

  it('runs the warm-up untimed, then the timed runs', async () => {
    let calls = 0;
    const seen: boolean[] = [];
    const stats = await timeRepeated(async () => void calls++, { warmup: 2, runs: 3, onRun: (_, __, warm) => seen.push(warm) });
    expect(calls).toBe(5);
    expect(seen).toEqual([true, true, false, false, false]);
    expect(stats.n).toBe(3);
    expect(stats.warmup).toBe(2);
    expect(stats.runsMs).toHaveLength(3);
  });
});

describe('options', () => {
  it('defaults to the full benchmark in both environments', () => {
    const o = parseBenchOptions([]);
    expect(o.parts).toEqual(['vgg19', 'tiny-darknet', 'resnet50', 'mobilenet_v2', 'peers', 'scaling']);
    expect(o.environments).toEqual(['browser', 'node']);
    expect(o.runs).toBe(5);
    expect(o.scalingSizes).toEqual([112, 224, 448]);
  });

  it('--quick is one run without peers or scaling; --only and --node narrow it', () => {
    const quick = parseBenchOptions(['--quick']);
    expect(quick.runs).toBe(1);
    expect(quick.parts).toEqual(['vgg19', 'tiny-darknet']);
    const smoke = parseBenchOptions(['--quick', '--only', 'peers', '--node', '--vgg-input', '64', '--peers', 'ort-wasm']);
    expect(smoke.parts).toEqual(['peers']);
    expect(smoke.environments).toEqual(['node']);
    expect(smoke.vggInput).toBe(64);
    expect(smoke.peers).toEqual(['ort-wasm']);
    expect(smoke.peerRuns).toBe(1);
    // Sides that are not multiples of 32 are fine (the max-pools floor); below 32 nothing reaches fc6.
    expect(parseBenchOptions(['--scaling-sizes', '100,112']).scalingSizes).toEqual([100, 112]);
  });

  it('--winograd-tile forces the Winograd variant over the adapter\'s choice; only 2 and 4 exist', () => {
    expect(parseBenchOptions([]).kernels).toEqual({});
    expect(parseBenchOptions(['--winograd-tile', '2']).kernels).toEqual({ winogradTile: 2 });
    expect(parseBenchOptions(['--winograd-tile', '4']).kernels).toEqual({ winogradTile: 4 });
  });
});

/** A model of `arch` with seeded weights, an input, and every tensor of the CPU reference on it. */
function referenceCase(arch: Architecture, seed: number): { model: Model; input: Float32Array; reference: Map<string, Float32Array> } {
  const model = randomModel(arch, seed);
  const { channels, height, width } = model.input;
  const input = randomInput(channels * height * width, seed + 1);
  return { model, input, reference: forwardReference(model, input) };
}

/** The graphs the peers must run: every op and option, VGG-mini, and ResNet-50 and MobileNetV2 at 32×32. */
function peerCases(): [string, Architecture][] {
  return [
    ...everyOpArchitectures().map((a): [string, Architecture] => [a.name, a]),
    ['vgg-mini', vggArchitecture(19, vggMiniOptions)],
    ['resnet50 at 32', graphArchitectures.resnet50({ inputSize: 32, classes: 10 }).architecture],
    ['mobilenet_v2 at 32', graphArchitectures.mobilenet_v2({ inputSize: 32, classes: 10 }).architecture],
  ];
}

describe('the peers\' ONNX file (the project\'s writer, outputs renamed)', () => {
  it('names the input and outputs as the runtimes read them; the weights are ours', () => {
    const model = mini();
    const onnx = fromBinary(ModelProtoSchema, writePeerOnnx(model));
    const graph = onnx.graph!;
    expect(graph.input.map((i) => i.name)).toEqual([onnxNames.input]);
    expect(graph.output.map((o) => o.name)).toEqual([onnxNames.logits, onnxNames.probabilities]);
    expect(graph.node.filter((n) => n.opType === 'Conv')).toHaveLength(16);
    expect(graph.node.filter((n) => n.opType === 'Gemm')).toHaveLength(3);
    expect(graph.node.at(-1)!.opType).toBe('Softmax');
    expect(graph.node.at(-1)!.output).toEqual([onnxNames.probabilities]);
    expect(graph.node.find((n) => n.output.includes(onnxNames.logits))!.name).toBe('fc8');
    const fc6 = graph.initializer.find((t) => t.name === 'fc6.weight')!;
    expect(fc6.dims.map(Number)).toEqual([16, 8]);
    expect(new Float32Array(fc6.rawData.slice().buffer)).toEqual((model.nodes.find((n) => n.name === 'fc6') as DenseLayer).weight);
  });

  it.each(peerCases())('%s runs in ONNX Runtime (wasm, Node) to the CPU reference', async (_name, arch) => {
    const { model, input, reference } = referenceCase(arch, 21);
    const session = await ort.InferenceSession.create(writePeerOnnx(model), { executionProviders: ['wasm'] });
    try {
      const { channels, height, width } = model.input;
      const out = await session.run({ [onnxNames.input]: new ort.Tensor('float32', input, [1, channels, height, width]) });
      expectClose(out[onnxNames.logits].data as Float32Array, reference.get(logitsTensor(model))!, 1e-4, 'ONNX logits');
      expectClose(out[onnxNames.probabilities].data as Float32Array, reference.get(model.output)!, 1e-4, 'ONNX probabilities');
    } finally {
      await session.release();
    }
  });
});

describe('TensorFlow.js model from any graph', () => {
  it.each(peerCases())('%s: the logits equal the CPU reference (cpu backend, channels-last)', async (_name, arch) => {
    await tf.setBackend('cpu');
    const { model, input, reference } = referenceCase(arch, 22);
    const session = tfjsSession(tf, model);
    try {
      expectClose(await session.run(input), reference.get(logitsTensor(model))!, 1e-4, 'tfjs logits');
    } finally {
      session.dispose();
    }
  });

  it('every tensor of the every-op graphs equals the reference, through each way of writing an op', async () => {
    await tf.setBackend('cpu');
    const layerClasses = new Set<string>();
    for (const arch of everyOpArchitectures()) {
      const { model, input, reference } = referenceCase(arch, 23);
      // Flattens read by dense layers are in tfjs's HWC order by design; every other tensor is read back as CHW.
      const readByDenseOnly = (tensor: string) => model.nodes.filter((m) => m.inputs.includes(tensor)).every((m) => m.kind === 'dense');
      const tensors = model.nodes.filter((n) => !(n.kind === 'flatten' && readByDenseOnly(n.output))).map((n) => n.output);
      const net = buildTfjsModel(tf, model, tensors);
      for (const layer of net.layers) layerClasses.add(`${layer.getClassName()}${'padding' in layer ? `:${(layer as unknown as { padding: string }).padding}` : ''}`);
      const { channels, height, width } = model.input;
      const x = tf.tensor4d(chwToHwc(input, model.input), [1, height, width, channels]);
      const outputs = net.predict(x) as tf.Tensor[];
      tensors.forEach((tensor, i) => expectClose(outputs[i].dataSync(), reference.get(tensor)!, 1e-4, `${model.name} ${tensor}`));
      tf.dispose([x, ...outputs]);
      net.dispose();
    }
    // SAME padding where it is ours, explicit padding elsewhere; depthwise, grouped (sliced), LRN and the pools' own layers.
    for (const expected of ['Conv2D:same', 'Conv2D:valid', 'ZeroPadding2D', 'DepthwiseConv2D:same', 'MaxPooling2D:valid', 'AveragePooling2D:same', 'AveragePooling2D:valid', 'FixationsOp', 'Concatenate', 'BatchNormalization', 'Permute', 'Reshape']) {
      expect([...layerClasses].some((c) => c === expected || c.startsWith(`${expected}:`)), `${expected} in ${[...layerClasses].join(', ')}`).toBe(true);
    }
  });

  it('refuses what tfjs cannot compute exactly, naming the node', () => {
    const [arch] = everyOpArchitectures();
    const evenLrn = { ...arch, nodes: arch.nodes.map((n) => (n.kind === 'lrn' ? { ...n, size: 4 } : n)) };
    expect(() => buildTfjsModel(tf, randomModel(evenLrn, 1))).toThrow(/^lrn: LRN of even size 4/);
    const b = everyOpArchitectures()[1];
    const uneven = { ...b, nodes: b.nodes.map((n) => (n.kind === 'adaptiveAvgPool' ? { ...n, outHeight: 3 } : n)) };
    const fixed = { ...uneven, nodes: uneven.nodes.map((n) => (n.name === 'vbn' ? { ...n, channels: 59 } : n.name === 'fc' ? { ...n, inFeatures: 59 } : n)) };
    expect(() => buildTfjsModel(tf, randomModel(fixed, 1))).toThrow(/^ada: an adaptive average pool from 8×12 to 3×3/);
  });
});

describe('peer check', () => {
  it('accepts float noise, rejects a different network', () => {
    const ours = Float32Array.of(1, -2, 3, 0.001);
    expect(comparePeerOutput(Float32Array.of(1.000001, -2, 3, 0.001), ours, 'logits').ok).toBe(true);
    const wrong = comparePeerOutput(Float32Array.of(3, -2, 1, 0), ours, 'logits');
    expect(wrong.ok).toBe(false);
    expect(wrong.top1Agrees).toBe(false);
    expect(comparePeerOutput(Float32Array.of(1, 2), ours, 'logits').ok).toBe(false);
  });
});

/** A measured model with given medians, for the target logic. */
function fakeModel(subject: SubjectName, side: number, ms: { forward: number; backtrack: number; explain: number; first: number }): OursModelResult {
  const stats = (m: number) => summarize([m]);
  const layers = { method: 'timestamp-query' as const, layers: [{ name: 'conv1', ms: ms.forward * 0.7 }, { name: 'fc6', ms: ms.forward * 0.3 }] };
  const backtrack = (rule: 'hysm' | 'official') => ({ ...stats(ms.backtrack), rule, target: 0, nodes: 100, levels: [] });
  return {
    subject,
    label: subject,
    photo: 'x',
    input: [3, side, side],
    parameters: 1,
    firstResult: { totalMs: ms.first, createMs: ms.first / 2, firstForwardMs: ms.first / 2 },
    forward: stats(ms.forward),
    top1: { classIndex: 0, label: 'a', probability: 1 },
    backtrack: { setupMs: 1, firstResultMs: 2, hysm: backtrack('hysm'), official: backtrack('official') },
    explain: { ...stats(ms.explain), rule: 'hysm', fixations: 1 },
    perLayer: { forward: layers, backtrack: { hysm: layers, official: layers } },
    targetSweep: [],
    peakMemoryBytes: 1,
  };
}

describe('targets', () => {
  it('says met, not met and not measured, with the ratios to the peers', () => {
    const env: EnvironmentResult = {
      environment: 'browser',
      description: 'test',
      adapter: null,
      models: [fakeModel('vgg19', 224, { forward: 9000, backtrack: 1200, explain: 10_000, first: 30_000 }), fakeModel('tiny-darknet', 224, { forward: 100, backtrack: 10, explain: 400, first: 150 })],
      scaling: [],
      peers: [
        { peer: 'tfjs-webgpu', subject: 'vgg19', label: 'VGG19', status: 'ok', forward: summarize([77_000]), check: comparePeerOutput([1], [1], 'logits') },
        { peer: 'ort-webgpu', subject: 'vgg19', label: 'VGG19', status: 'timed out' },
      ],
      errors: [],
      notes: [],
    };
    const ratios = peerRatios([env]);
    expect(ratios).toHaveLength(1);
    expect(ratios[0].ratio).toBeCloseTo(77_000 / 9000);
    const status = Object.fromEntries(checkTargets([env], ratios).map((t) => [t.target, t.status]));
    expect(status['VGG19 forward ≤ 10 s (median)']).toBe('met');
    expect(status['VGG19 forward ≥ 7× faster than TensorFlow.js WebGPU']).toBe('met');
    expect(status['VGG19 forward ≥ 7× faster than ONNX Runtime Web WebGPU']).toBe('not measured');
    expect(status['backtracking (hysm) ≤ 10% of the forward']).toBe('not met');
    expect(status['VGG19 first result ≤ 2× the warm forward']).toBe('not met');
    expect(status['Tiny Darknet explain ≤ 0.5 s (median)']).toBe('met');
    expect(status['Tiny Darknet first result ≤ 2× the warm forward']).toBe('met');
    const miss = checkTargets([env], ratios).find((t) => t.target.startsWith('backtracking (hysm)'))!;
    expect(miss.detail).toMatch(/conv1/);
  });
});

describe('targets of the graph architectures', () => {
  it('ResNet-50 and MobileNetV2 against each WebGPU peer: met, not met with the slowest layers, not measured off 224', () => {
    const ok = comparePeerOutput([1], [1], 'logits');
    const env: EnvironmentResult = {
      environment: 'node',
      description: 'test',
      adapter: null,
      models: [fakeModel('resnet50', 224, { forward: 100, backtrack: 1, explain: 1, first: 1 }), fakeModel('mobilenet_v2', 64, { forward: 10, backtrack: 1, explain: 1, first: 1 })],
      scaling: [],
      peers: [
        { peer: 'tfjs-webgpu', subject: 'resnet50', label: 'ResNet-50', status: 'ok', forward: summarize([1200]), check: ok },
        { peer: 'ort-webgpu', subject: 'resnet50', label: 'ResNet-50', status: 'ok', forward: summarize([500]), check: ok },
        { peer: 'tfjs-webgpu', subject: 'mobilenet_v2', label: 'MobileNetV2', status: 'ok', forward: summarize([500]), check: ok },
      ],
      errors: [],
      notes: [],
    };
    const targets = checkTargets([env], peerRatios([env]));
    const byName = new Map(targets.map((t) => [t.target, t]));
    expect(byName.get('ResNet-50 forward ≥ 10× faster than TensorFlow.js WebGPU')).toMatchObject({ status: 'met', value: '12.0×' });
    const miss = byName.get('ResNet-50 forward ≥ 10× faster than ONNX Runtime Web WebGPU')!;
    expect(miss).toMatchObject({ status: 'not met', value: '5.0×' });
    expect(miss.detail).toMatch(/ONNX Runtime Web WebGPU 500 ms vs ours 100 ms; slowest layers: conv1/);
    expect(byName.get('MobileNetV2 forward ≥ 10× faster than TensorFlow.js WebGPU')).toMatchObject({ status: 'not measured' });
    expect(byName.get('MobileNetV2 forward ≥ 10× faster than TensorFlow.js WebGPU')!.detail).toMatch(/this run used 64×64/);
  });
});

describe('npm run bench on a tiny VGG in Node', () => {
  let out: string;
  let run: BenchRun;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'bench-test-'));
    const options = defaultBenchOptions({
      parts: ['vgg-mini', 'peers'],
      environments: ['node'],
      runs: 2,
      warmup: 1,
      peers: ['tfjs-wasm', 'ort-wasm'],
      peerRuns: 1,
      peerWarmup: 0,
      peerTimeoutS: 120,
      out,
    });
    run = await runBenchmark(options, () => {});
  });

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('writes the JSON report with statistics, per-layer times and memory', async () => {
    const json = JSON.parse(await readFile(run.files.json, 'utf8'));
    expect(json).toEqual(JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')));
    expect(json.environments).toHaveLength(1);
    const env = json.environments[0];
    expect(env.environment).toBe('node');
    expect(env.adapter.name).toMatch(/\S/);
    expect(env.errors).toEqual([]);
    const [model] = env.models;
    expect(model.subject).toBe('vgg-mini');
    for (const stats of [model.forward, model.backtrack.hysm, model.backtrack.official, model.explain]) {
      expect(stats.n).toBe(2);
      expect(stats.warmup).toBe(1);
      expect(stats.runsMs).toHaveLength(2);
      expect(stats.minMs).toBeLessThanOrEqual(stats.medianMs);
      expect(stats.medianMs).toBeLessThanOrEqual(stats.maxMs);
    }
    expect(model.firstResult.totalMs).toBeGreaterThan(0);
    expect(model.perLayer.forward.layers.map((l: { name: string }) => l.name)).toEqual(mini().nodes.map((l) => l.name));
    expect(model.perLayer.backtrack.hysm.layers[0].name).toBe('fc8');
    expect(model.perLayer.backtrack.hysm.layers.at(-1).name).toBe('conv1_1');
    expect(model.backtrack.hysm.nodes).toBeGreaterThan(model.backtrack.hysm.levels.length - 1);
    expect(model.targetSweep.length).toBeGreaterThan(0);
    expect(model.peakMemoryBytes).toBeGreaterThan(0);
    // Batched forwards: four inputs a submit, each one's scores the single forward's, bit for bit.
    expect(model.batched.inputs).toBe(5);
    expect(model.batched.maxRelativeError).toBeLessThan(1e-5);
    expect(model.batched.perForwardMs).toBeCloseTo(model.batched.medianMs / 5);
  });

  it('runs the CPU peers on the same network and computes the ratios', () => {
    const { report } = run;
    const peers = report.environments[0].peers;
    expect(peers.map((p) => [p.peer, p.status])).toEqual([
      ['tfjs-wasm', 'ok'],
      ['ort-wasm', 'ok'],
    ]);
    for (const peer of peers) expect(peer.check?.ok, `${peer.peer}: ${JSON.stringify(peer.check)}`).toBe(true);
    expect(report.ratios.map((r) => r.peer)).toEqual(['tfjs-wasm', 'ort-wasm']);
    for (const r of report.ratios) expect(r.ratio).toBeCloseTo(r.peerMedianMs / r.oursMedianMs);
    expect(report.targets.length).toBeGreaterThan(0);
    expect(report.targets.every((t) => t.status === 'not measured')).toBe(true);
  });

  it('writes the markdown tables', async () => {
    const markdown = await readFile(run.files.markdown, 'utf8');
    expect(markdown).toBe(run.markdown);
    expect(markdown).toContain('| VGG-mini 32×32 forward | node |');
    expect(markdown).toMatch(/\| VGG-mini 32×32 forward over a batch of 5 \([\d.]+ (ms|s) an image, [\d.]+× single; scores within [\d.]+e[-+]\d+\) \| node \|/);
    expect(markdown).toContain('### Ours against the peers');
    expect(markdown).toMatch(/\| TensorFlow\.js wasm \| node \| VGG-mini 32×32 \|/);
    expect(markdown).toContain('### Targets');
    expect(markdown).toContain('### Per-layer GPU time: VGG-mini 32×32 forward');
    expect(markdown).toContain('### Scaling: backtracking against memory-vector size');
  });
});
