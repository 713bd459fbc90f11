import { afterAll, describe, expect, it } from 'vitest';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { readFloats } from '../src/gpu/buffers.ts';
import { gpuTensorBytes } from '../src/gpu/tensor.ts';
import { buildGraph, chain, inputTensor, type Architecture, type ArchitectureNode } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { loadConvertedModel } from '../src/loaders/converted.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { elementCount, type TensorShape } from '../src/model/shapes.ts';
import { adaptiveSpan, pooledSize, windowSpan, type PoolWindow } from '../src/ops/common/pool-window.ts';
import { rules } from '../src/ops/common/rules.ts';
import type { LayerSpec } from '../src/ops/layers.ts';
import { opOf } from '../src/ops/registry.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { encodeConvertedModel } from '../src/weights/encode-converted.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/**
 * A chain through every pooling option: a ResNet-like 3×3/2 padded ceil-mode max-pool, a ceil-mode average pool whose
 * last window is cut at the padding (count_include_pad), an overlapping 2×2/1 average pool whose padding reaches past
 * both edges over ReLU outputs (windows of zeros: ties), an adaptive pool whose windows overlap, a dense head.
 */
function poolingChain(): Architecture {
  const layers: LayerSpec[] = [
    { kind: 'conv2d', name: 'c1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 5, activation: 'linear' },
    { kind: 'maxpool', name: 'mp', size: 3, stride: 2, padding: 1, ceilMode: true },
    { kind: 'avgpool', name: 'ap1', size: 3, stride: 2, padding: 1, countIncludePad: true, ceilMode: true },
    { kind: 'conv2d', name: 'c2', kernel: 1, stride: 1, padding: 0, inChannels: 5, outChannels: 6, activation: 'relu' },
    { kind: 'avgpool', name: 'ap2', size: 2, stride: 1, padding: 1, countIncludePad: false, ceilMode: false },
    { kind: 'adaptiveAvgPool', name: 'aap', outHeight: 3, outWidth: 2 },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'fc', inFeatures: 6 * 3 * 2, outFeatures: 5, activation: 'linear' },
    { kind: 'softmax', name: 'prob' },
  ];
  return { name: 'pooling-chain', input: { channels: 3, height: 13, width: 11 }, preprocess: unitRgbPreprocess(11, 13), ...chain(layers) };
}

/**
 * Pools in a graph over ReLU outputs: a max-pool whose last ceil-mode row window would start in the padding (dropped), read by three
 * nodes (an average pool, an identity adaptive pool, an add); an adaptive pool down (overlapping rows), one up
 * (output larger than input), a GAP head.
 */
function poolingGraph(): Architecture {
  const nodes: ArchitectureNode[] = [
    { kind: 'conv2d', name: 'c1', inputs: [inputTensor], output: 'c1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 7, activation: 'relu' },
    { kind: 'maxpool', name: 'mp', inputs: ['c1'], output: 'mp', size: 2, stride: 2, padding: 1, ceilMode: true },
    { kind: 'avgpool', name: 'ap', inputs: ['mp'], output: 'ap', size: 3, stride: 3, padding: 1, countIncludePad: false, ceilMode: true },
    { kind: 'adaptiveAvgPool', name: 'same', inputs: ['mp'], output: 'same', outHeight: 5, outWidth: 6 },
    { kind: 'add', name: 'sum', inputs: ['mp', 'same'], output: 'sum', activation: 'linear' },
    { kind: 'adaptiveAvgPool', name: 'down', inputs: ['sum'], output: 'down', outHeight: 2, outWidth: 3 },
    { kind: 'add', name: 'merge', inputs: ['ap', 'down'], output: 'merge', activation: 'linear' },
    { kind: 'adaptiveAvgPool', name: 'up', inputs: ['merge'], output: 'up', outHeight: 3, outWidth: 4 },
    { kind: 'conv2d', name: 'head', inputs: ['up'], output: 'head', kernel: 1, stride: 1, padding: 0, inChannels: 7, outChannels: 6, activation: 'linear' },
    { kind: 'globalAvgPool', name: 'gap', inputs: ['head'], output: 'gap' },
    { kind: 'softmax', name: 'prob', inputs: ['gap'], output: 'prob' },
  ];
  return { name: 'pooling-graph', input: { channels: 3, height: 9, width: 10 }, preprocess: unitRgbPreprocess(10, 9), nodes, output: 'prob' };
}

const window = (size: number, stride: number, padding: number, ceilMode: boolean): PoolWindow => ({ size, stride, padding, ceilMode });
const shapeOf = (arch: Architecture, tensor: string) => buildGraph(arch).shapes.get(tensor);

describe('pooling windows follow torch', () => {
  it('output sizes: floor and ceil mode, a ceil-mode window starting in the padding dropped', () => {
    expect(pooledSize('p', 112, window(3, 2, 1, false))).toBe(56); // ResNet's stem max-pool
    expect(pooledSize('p', 112, window(3, 2, 0, false))).toBe(55);
    expect(pooledSize('p', 112, window(3, 2, 0, true))).toBe(56); // GoogLeNet's ceil_mode=True
    expect(pooledSize('p', 7, window(2, 2, 0, true))).toBe(4);
    // ⌈(9 + 2 − 2) / 2⌉ + 1 = 6, but window 5 would start at 5·2 − 1 = 9, in the padding: 5 windows, as floor mode.
    expect(pooledSize('p', 9, window(2, 2, 1, true))).toBe(5);
    expect(pooledSize('p', 9, window(2, 2, 1, false))).toBe(5);
    expect(pooledSize('p', 10, window(2, 2, 1, true))).toBe(6);
    expect(pooledSize('p', 5, window(3, 3, 1, true))).toBe(2);
  });

  it('windows: in-bounds part, and the padded extent cut at the far edge of the padding', () => {
    // 6 inputs, 3×3/2 padding 1, ceil mode: 4 windows; the last starts at 5 and is cut at 6 + 1 = 7.
    expect([0, 1, 2, 3].map((o) => windowSpan(o, 6, window(3, 2, 1, true)))).toEqual([
      { start: 0, end: 2, padded: 3 },
      { start: 1, end: 4, padded: 3 },
      { start: 3, end: 6, padded: 3 },
      { start: 5, end: 6, padded: 2 },
    ]);
    expect([0, 1, 2].map((o) => adaptiveSpan(o, 3, 5))).toEqual([{ start: 0, end: 2 }, { start: 1, end: 4 }, { start: 3, end: 5 }]);
    expect([0, 1, 2].map((o) => adaptiveSpan(o, 3, 2))).toEqual([{ start: 0, end: 1 }, { start: 0, end: 2 }, { start: 1, end: 2 }]);
    expect([0, 1, 5].map((o) => adaptiveSpan(o, 6, 6))).toEqual([{ start: 0, end: 1 }, { start: 1, end: 2 }, { start: 5, end: 6 }]);
    expect([0, 6].map((o) => adaptiveSpan(o, 7, 14))).toEqual([{ start: 0, end: 2 }, { start: 12, end: 14 }]); // VGG at 448
  });

  it('references on hand-computed values: count_include_pad, −∞ padding, identity adaptive pool', () => {
    const ones: TensorShape = { channels: 1, height: 6, width: 6 };
    const out: TensorShape = { channels: 1, height: 4, width: 4 };
    const avg = (countIncludePad: boolean) =>
      opOf({ kind: 'avgpool' }).reference.forward(
        { kind: 'avgpool', name: 'a', size: 3, stride: 2, padding: 1, countIncludePad, ceilMode: true },
        [new Float32Array(36).fill(1)],
        [ones],
        out,
      );
    // Corner (0, 0): 2×2 inputs of 3×3; (0, 3): 2×1 of 3×2; (3, 3): 1 input of the 2×2 left after the cut.
    const included = avg(true);
    expect(included[0]).toBeCloseTo(4 / 9, 6);
    expect(included[3]).toBeCloseTo(2 / 6, 6);
    expect(included[15]).toBeCloseTo(1 / 4, 6);
    expect(included[5]).toBeCloseTo(1, 6);
    expect(Array.from(avg(false))).toEqual(new Array(16).fill(1));
    const max = opOf({ kind: 'maxpool' }).reference.forward(
      { kind: 'maxpool', name: 'm', size: 3, stride: 2, padding: 1, ceilMode: true },
      [new Float32Array(36).fill(-1)],
      [ones],
      out,
    );
    expect(Array.from(max)).toEqual(new Array(16).fill(-1));
    const input = randomInput(2 * 3 * 5, 3);
    const shape: TensorShape = { channels: 2, height: 3, width: 5 };
    expect(opOf({ kind: 'adaptiveAvgPool' }).reference.forward({ kind: 'adaptiveAvgPool', name: 'i', outHeight: 3, outWidth: 5 }, [input], [shape], shape)).toEqual(input);
  });

  it('shapes of the test graphs; errors name the node', () => {
    expect(shapeOf(poolingChain(), 'mp')).toEqual({ channels: 5, height: 7, width: 6 });
    expect(shapeOf(poolingChain(), 'ap1')).toEqual({ channels: 5, height: 4, width: 4 });
    expect(shapeOf(poolingChain(), 'ap2')).toEqual({ channels: 6, height: 5, width: 5 });
    expect(shapeOf(poolingGraph(), 'mp')).toEqual({ channels: 7, height: 5, width: 6 });
    expect(shapeOf(poolingGraph(), 'ap')).toEqual({ channels: 7, height: 2, width: 3 });
    expect(shapeOf(poolingGraph(), 'up')).toEqual({ channels: 7, height: 3, width: 4 });
    const arch = poolingChain();
    const replaced = (name: string, change: Record<string, unknown>) => () =>
      buildGraph({ ...arch, nodes: arch.nodes.map((n) => (n.name === name ? ({ ...n, ...change } as ArchitectureNode) : n)) });
    expect(replaced('ap1', { padding: 2 })).toThrow(/ap1: padding 2 is more than half the 3-wide window/);
    expect(replaced('mp', { padding: 2, size: 2 })).toThrow(/mp: padding 2 is more than half the 2-wide window/);
    expect(replaced('ap2', { size: 7, padding: 0 })).toThrow(/ap2: a 7-wide window with stride 1 and padding 0 does not fit an input of 4/);
  });
});

/** Channels of a kept tensor beyond its count (padding to vec4) must hold 0 on the GPU. */
async function expectPaddingChannelsZero(gpu: GpuModel, tensor: string): Promise<void> {
  const { shape, c4, buffer } = gpu.tensor(tensor);
  const data = await readFloats(await testGpu(), 'padding channels', buffer, gpuTensorBytes(shape) / 4);
  for (let pixel = 0; pixel < shape.height * shape.width; pixel++) {
    for (let c = shape.channels; c < c4 * 4; c++) {
      if (data[pixel * c4 * 4 + c] !== 0) expect.fail(`${tensor}: padding channel ${c} of pixel ${pixel} is ${data[pixel * c4 * 4 + c]}`);
    }
  }
}

describe('pooling ops on the GPU equal the CPU reference', () => {
  for (const [arch, pooled] of [
    [poolingChain(), ['mp', 'ap1', 'ap2', 'aap']],
    [poolingGraph(), ['mp', 'ap', 'same', 'down', 'up']],
  ] as const) {
    it(`${arch.name}: forward of every kept tensor; backtracking for every target and both rules`, async () => {
      const model = randomModel(arch, 17);
      const gpu = await GpuModel.create(await testGpu(), model);
      const backtracker = await GpuBacktracker.create(gpu);
      cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
      const classes = model.labels.length;
      let hysmKeptSeveral = false;
      for (const seed of [1, 2]) {
        const input = randomInput(elementCount(arch.input), seed);
        await gpu.runTensor(input);
        const activations = await gpu.readActivations();
        const want = forwardReference(model, input);
        for (const [name, values] of activations) expectClose(values, want.get(name)!, 1e-4, `seed ${seed} tensor ${name}`);
        for (const tensor of pooled) if (gpu.isKept(tensor)) await expectPaddingChannelsZero(gpu, tensor);
        for (const rule of rules) {
          for (let target = 0; target < classes; target++) {
            const { tree } = await backtracker.run(target, rule);
            const what = `seed ${seed} class ${target} ${rule}`;
            const { explainedDifferences } = expectTreeMatchesReference(model, activations, tree, rule, what);
            explainedDifferences.forEach((d) => console.log(d));
            for (const tensor of pooled) {
              const counts = Array.from(tree.levels.find((l) => l.name === tensor)!.childCounts);
              // Max-pools and the official rule take one position of each window; hysm at an average pool may take several.
              if (rule === 'official' || tensor === 'mp') expect(counts.every((c) => c === 1), `${what}: ${tensor} selects one`).toBe(true);
              else hysmKeptSeveral ||= counts.some((c) => c > 1);
            }
          }
        }
      }
      expect(hysmKeptSeveral).toBe(true);
    });
  }
});

describe('pooling specs in the converted format', () => {
  it('round-trip exactly; a max-pool stored without padding and ceil mode reads as before', async () => {
    for (const arch of [poolingChain(), poolingGraph()]) {
      const model = randomModel(arch, 5);
      const encoded = encodeConvertedModel(model);
      const files = new Map(encoded.files.map((f) => [f.name, f.bytes()]));
      const loaded = await loadConvertedModel(encoded.json, async (name) => files.get(name)!);
      const specs = (nodes: readonly object[]) => nodes.map((n) => Object.fromEntries(Object.entries(n).filter(([k]) => k !== 'weight' && k !== 'bias')));
      expect(specs(loaded.nodes)).toStrictEqual(specs(model.nodes));
      const input = randomInput(elementCount(model.input), 4);
      expect(forwardReference(loaded, input).get('prob')).toEqual(forwardReference(model, input).get('prob'));
    }
    const old = randomModel({ ...poolingChain(), nodes: poolingChain().nodes.map((n) => (n.kind === 'maxpool' ? { kind: 'maxpool', name: n.name, inputs: n.inputs, output: n.output, size: 3, stride: 2 } : n)) }, 5);
    const encoded = encodeConvertedModel(old);
    const files = new Map(encoded.files.map((f) => [f.name, f.bytes()]));
    const loaded = await loadConvertedModel(encoded.json, async (name) => files.get(name)!);
    expect(loaded.nodes.find((n) => n.kind === 'maxpool')).toStrictEqual({ kind: 'maxpool', name: 'mp', inputs: ['c1'], output: 'mp', size: 3, stride: 2 });
  });

  it('rejects stored pooling fields that are missing or out of range, naming them', async () => {
    const model = randomModel(poolingChain(), 5);
    const encoded = encodeConvertedModel(model);
    const files = new Map(encoded.files.map((f) => [f.name, f.bytes()]));
    const edited = (name: string, change: (node: Record<string, unknown>) => void) => {
      const manifest = JSON.parse(encoded.json);
      change(manifest.nodes.find((n: { name: string }) => n.name === name));
      return loadConvertedModel(JSON.stringify(manifest), async (file) => files.get(file)!);
    };
    await expect(edited('ap1', (n) => delete n.countIncludePad)).rejects.toThrow(/nodes\[2\]\.countIncludePad must be true or false/);
    await expect(edited('mp', (n) => (n.ceilMode = 1))).rejects.toThrow(/nodes\[1\]\.ceilMode must be true or false/);
    await expect(edited('aap', (n) => (n.outHeight = 0))).rejects.toThrow(/nodes\[5\]\.outHeight/);
    await expect(edited('ap2', (n) => (n.padding = -1))).rejects.toThrow(/nodes\[4\]\.padding/);
  });
});
