import { afterAll, describe, expect, it } from 'vitest';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { buildGraph, chain, type Architecture } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { readBuffers } from '../src/gpu/buffers.ts';
import { gpuTensorBytes } from '../src/gpu/tensor.ts';
import { loadConvertedModel } from '../src/loaders/converted.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { elementCount } from '../src/model/shapes.ts';
import { workgroupGemmTile, type KernelChoices } from '../src/ops/common/kernel-choices.ts';
import { rules } from '../src/ops/common/rules.ts';
import { Conv2dDepthwiseOp } from '../src/ops/conv2d/depthwise.ts';
import { Conv2dOp } from '../src/ops/conv2d/direct.ts';
import { Conv2dIm2colOp } from '../src/ops/conv2d/im2col.ts';
import { Conv2dPointwiseOp } from '../src/ops/conv2d/pointwise.ts';
import { conv2dWeights, isDepthwise, type Conv2dSpec } from '../src/ops/conv2d/spec.ts';
import { Conv2dWinogradOp } from '../src/ops/conv2d/winograd.ts';
import type { LayerSpec } from '../src/ops/layers.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { encodeConvertedModel } from '../src/weights/encode-converted.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

type ConvOptions = Partial<Pick<Conv2dSpec, 'stride' | 'padding' | 'groups' | 'pads' | 'activation'>>;
const conv = (name: string, inChannels: number, outChannels: number, kernel: number, options: ConvOptions = {}): LayerSpec => ({
  kind: 'conv2d', name, kernel, stride: 1, padding: 0, inChannels, outChannels, activation: 'relu', ...options,
});

/**
 * MobileNet- and AlexNet-shaped pieces: an RGB layer with asymmetric pads (im2col), 2 groups with stride 2, depthwise
 * 3×3 over 12 channels, a 3×3 stride-1 layer with asymmetric pads (Winograd), a grouped 1×1, a depthwise 5×5 stride 2
 * over 10 channels (not a multiple of 4) with asymmetric pads, a pointwise head.
 */
const mobileLike: Architecture = {
  name: 'mobile-like',
  input: { channels: 3, height: 15, width: 14 },
  preprocess: unitRgbPreprocess(14, 15),
  ...chain([
    conv('c1', 3, 8, 3, { pads: [1, 0, 1, 2] }),
    conv('g1', 8, 12, 3, { stride: 2, pads: [1, 1, 0, 0], groups: 2, activation: 'leaky' }),
    conv('dw1', 12, 12, 3, { padding: 1, groups: 12 }),
    conv('w1', 12, 12, 3, { pads: [0, 1, 2, 1], activation: 'leaky' }),
    conv('g2', 12, 10, 1, { groups: 2, activation: 'linear' }),
    conv('dw2', 10, 10, 5, { stride: 2, pads: [2, 1, 2, 3], groups: 10 }),
    conv('head', 10, 6, 1, { activation: 'linear' }),
    { kind: 'globalAvgPool', name: 'gap' },
    { kind: 'softmax', name: 'prob' },
  ]),
};

/**
 * Groups whose channels straddle vec4s: a depthwise layer with channel multiplier 2 on the RGB input (groups 3, 6
 * outputs), groups of 2 input and 3 output channels, a depthwise stride-2 layer over 9 channels with pads on one side
 * only, a grouped 5×5 padded differently on three sides, then a dense head.
 */
const straddling: Architecture = {
  name: 'straddling',
  input: { channels: 3, height: 13, width: 16 },
  preprocess: unitRgbPreprocess(16, 13),
  ...chain([
    conv('m1', 3, 6, 3, { stride: 2, pads: [0, 0, 1, 1], groups: 3 }),
    conv('g1', 6, 9, 3, { padding: 1, groups: 3, activation: 'leaky' }),
    conv('dw1', 9, 9, 3, { stride: 2, pads: [1, 0, 1, 0], groups: 9 }),
    conv('g2', 9, 15, 5, { pads: [2, 2, 1, 3], groups: 3 }),
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'fc', inFeatures: 15 * 2 * 4, outFeatures: 5, activation: 'linear' },
    { kind: 'softmax', name: 'prob' },
  ]),
};

const architectures = [mobileLike, straddling];

/** Every kernel combination the forward may choose for these nets, forced through the kernel options. */
const variants: { name: string; kernels: Partial<KernelChoices> }[] = [
  { name: 'default (depthwise, Winograd, pointwise, im2col)', kernels: {} },
  { name: 'GEMMs on the workgroup-memory tile', kernels: { gemmTile: workgroupGemmTile } },
  { name: 'all direct, tile 8×16/64', kernels: { depthwise: false, winograd: false, pointwise: false, im2col: false } },
  { name: 'all direct, tile 4×4/32', kernels: { depthwise: false, winograd: false, pointwise: false, im2col: false, conv2dTile: { tileM: 4, tileN4: 1, threads: 32 } } },
  { name: 'all direct, tile 3×8/64', kernels: { depthwise: false, winograd: false, pointwise: false, im2col: false, conv2dTile: { tileM: 3, tileN4: 2, threads: 64 } } },
];

/** The tensor's padding channels (from `channels` up to the next multiple of 4) as they lie in the GPU buffer. */
async function paddingChannels(gpu: GpuModel, name: string): Promise<number[]> {
  const tensor = gpu.tensors.get(name)!;
  const [data] = await readBuffers(gpu.context, 'reading padding channels', [{ buffer: tensor.buffer, size: gpuTensorBytes(tensor.shape) }]);
  const values = new Float32Array(data);
  const stride = tensor.c4 * 4;
  const out: number[] = [];
  for (let p = 0; p < tensor.shape.height * tensor.shape.width; p++) {
    for (let c = tensor.shape.channels; c < stride; c++) out.push(values[p * stride + c]);
  }
  return out;
}

describe('grouped and depthwise convolutions: spec and shape rule', () => {
  it('infers shapes with asymmetric pads and sizes the weights [out][in/groups][k][k]', () => {
    const graph = buildGraph(mobileLike);
    expect(graph.shapes.get('c1')).toEqual({ channels: 8, height: 15, width: 14 });
    expect(graph.shapes.get('g1')).toEqual({ channels: 12, height: 7, width: 7 });
    expect(graph.shapes.get('w1')).toEqual({ channels: 12, height: 7, width: 7 });
    expect(graph.shapes.get('dw2')).toEqual({ channels: 10, height: 4, width: 4 });
    const g1 = mobileLike.nodes[1] as Conv2dSpec;
    expect(conv2dWeights.shape(g1)).toEqual([12, 4, 3, 3]);
    expect(conv2dWeights.sizes(g1)).toEqual({ weight: 12 * 4 * 9, bias: 12 });
    expect(conv2dWeights.fanIn(g1)).toBe(36);
    const dw2 = mobileLike.nodes[5] as Conv2dSpec;
    expect(isDepthwise(dw2)).toBe(true);
    expect(conv2dWeights.shape(dw2)).toEqual([10, 1, 5, 5]);
  });

  it('rejects channels that do not divide into the groups and pads as wide as the kernel, naming the node', () => {
    const withNode = (spec: Partial<Conv2dSpec>) => () =>
      buildGraph({ ...mobileLike, nodes: mobileLike.nodes.map((n) => (n.name === 'g1' ? ({ ...n, ...spec } as typeof n) : n)) });
    expect(withNode({ groups: 3 })).toThrow(/g1: 8 input and 12 output channels do not divide into 3 groups/);
    expect(withNode({ groups: 4, outChannels: 10 })).toThrow(/g1: 8 input and 10 output channels do not divide into 4 groups/);
    expect(withNode({ groups: 0 })).toThrow(/g1: groups 0 is not a positive integer/);
    expect(withNode({ pads: [3, 0, 0, 0] })).toThrow(/g1: pads \[3, 0, 0, 0\] must be four integers \[top, left, bottom, right\], each from 0 to kernel − 1 = 2/);
    expect(withNode({ pads: [0, 0, -1, 0] })).toThrow(/g1: pads \[0, 0, -1, 0\] must be four integers/);
    expect(withNode({ pads: [0, 0, 0] as unknown as [number, number, number, number] })).toThrow(/g1: pads \[0, 0, 0\] must be four integers/);
  });
});

describe('grouped and depthwise convolutions on the GPU equal the CPU reference', () => {
  for (const arch of architectures) {
    for (const [v, variant] of variants.entries()) {
      it(`${arch.name} forward, ${variant.name}`, async () => {
        const model = randomModel(arch, 40 + v);
        const gpu = await GpuModel.create(await testGpu(), model, { kernels: variant.kernels });
        cleanups.push(() => gpu.destroy());
        const input = randomInput(elementCount(arch.input), 3 + v);
        await gpu.runTensor(input);
        const got = await gpu.readActivations();
        const want = forwardReference(model, input);
        expect(got.size).toBeGreaterThan(model.nodes.length / 2);
        for (const [name, values] of got) {
          expectClose(values, want.get(name)!, 1e-4, `${arch.name} tensor ${name}`);
          expect((await paddingChannels(gpu, name)).every((x) => x === 0), `${arch.name} tensor ${name}: padding channels are 0`).toBe(true);
        }
        const convs = model.nodes.map((n, i) => ({ node: n, op: gpu.ops[i] })).filter(({ node }) => node.kind === 'conv2d');
        const direct = variant.kernels.depthwise === false;
        for (const { node, op } of convs) {
          if (isDepthwise(node as Conv2dSpec)) expect(op instanceof (direct ? Conv2dOp : Conv2dDepthwiseOp), `${node.name} kernel`).toBe(true);
          if (direct) expect(op instanceof Conv2dOp, `${node.name} runs direct`).toBe(true);
        }
        if (!direct && arch === mobileLike) {
          expect(gpu.ops[0]).toBeInstanceOf(Conv2dIm2colOp);
          expect(gpu.ops[3]).toBeInstanceOf(Conv2dWinogradOp);
          expect(gpu.ops[4]).toBeInstanceOf(Conv2dOp);
          expect(gpu.ops[6]).toBeInstanceOf(Conv2dPointwiseOp);
        }
        if (!direct && arch === straddling) expect(gpu.ops[0]).toBeInstanceOf(Conv2dIm2colOp);
      });
    }
  }

  for (const arch of architectures) {
    it(`${arch.name} backtracking: every target, both rules, tensor by tensor and as a whole`, async () => {
      const model = randomModel(arch, 51);
      const gpu = await GpuModel.create(await testGpu(), model);
      const backtracker = await GpuBacktracker.create(gpu);
      cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
      for (const seed of [1, 2]) {
        await gpu.runTensor(randomInput(elementCount(arch.input), seed));
        const activations = await gpu.readActivations();
        const classes = activations.get(model.output)!.length;
        for (const rule of rules) {
          for (let target = 0; target < classes; target++) {
            const { tree } = await backtracker.run(target, rule);
            const what = `${arch.name} seed ${seed} class ${target} ${rule}`;
            const { explainedDifferences } = expectTreeMatchesReference(model, activations, tree, rule, what);
            explainedDifferences.forEach((d) => console.log(d));
            // A node of a grouped conv selects in its own group only; a depthwise node in its own channel.
            for (const node of model.nodes) {
              if (node.kind !== 'conv2d' || !node.groups || node.groups === 1) continue;
              const above = tree.levels.find((l) => l.name === node.output)!;
              const below = tree.levels.find((l) => l.name === node.inputs[0])!;
              const planeAbove = above.shape.height * above.shape.width;
              const planeBelow = below.shape.height * below.shape.width;
              below.nodes.forEach((child, k) => {
                if (below.parentTensors[below.parentTensor[k]] !== node.output) return;
                const group = (c: number, channels: number) => Math.floor((c * node.groups!) / channels);
                const parentGroup = group(Math.floor(below.parents[k] / planeAbove), node.outChannels);
                expect(group(Math.floor(child / planeBelow), node.inChannels), `${what}: ${node.name} stays in its group`).toBe(parentGroup);
              });
            }
          }
        }
      }
    });
  }

  it('with the weights of a grouped conv split over several bindings (small limits), forward and backtracking still equal the reference', async () => {
    const arch: Architecture = {
      name: 'split-groups',
      input: { channels: 3, height: 6, width: 6 },
      preprocess: unitRgbPreprocess(6, 6),
      ...chain([
        conv('c1', 3, 24, 3, { padding: 1 }),
        // 24 → 24 in 2 groups: 9·6·64 = 3456 bytes per vec4 column, one column per 4 KiB chunk.
        conv('g1', 24, 24, 3, { pads: [1, 0, 1, 2], groups: 2, activation: 'leaky' }),
        conv('head', 24, 5, 1, { activation: 'linear' }),
        { kind: 'globalAvgPool', name: 'gap' },
        { kind: 'softmax', name: 'prob' },
      ]),
    };
    const model = randomModel(arch, 61);
    const small = await testGpu({ maxStorageBufferBindingSize: 4096, maxBufferSize: 4096 });
    const gpu = await GpuModel.create(small, model, {
      kernels: { depthwise: false, winograd: false, pointwise: false, im2col: false, conv2dTile: { tileM: 4, tileN4: 1, threads: 32 } },
    });
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
    expect((gpu.ops[1] as Conv2dOp).chunks.length).toBe(6);
    const input = randomInput(elementCount(arch.input), 8);
    await gpu.runTensor(input);
    const activations = await gpu.readActivations();
    const want = forwardReference(model, input);
    for (const [name, values] of activations) expectClose(values, want.get(name)!, 1e-4, `split tensor ${name}`);
    for (const rule of rules) {
      for (let target = 0; target < 5; target++) {
        const { tree } = await backtracker.run(target, rule);
        expectTreeMatchesReference(model, activations, tree, rule, `split class ${target} ${rule}`);
      }
    }
  });
});

describe('grouped convolutions in the converted format', () => {
  it('round-trips groups and pads, with weights stored [out][in/groups][k][k]', async () => {
    const model = randomModel(straddling, 71);
    const encoded = encodeConvertedModel(model);
    const g1 = encoded.manifest.nodes.find((n) => n.name === 'g1')!;
    expect(g1).toMatchObject({ groups: 3, padding: 1 });
    expect(g1).not.toHaveProperty('pads');
    expect(encoded.manifest.nodes.find((n) => n.name === 'g2')).toMatchObject({ groups: 3, pads: [2, 2, 1, 3] });
    expect(encoded.manifest.tensors.find((t) => t.name === 'g2.weight')!.shape).toEqual([15, 3, 5, 5]);
    const files = new Map(encoded.files.map((f) => [f.name, f.bytes()]));
    const loaded = await loadConvertedModel(encoded.json, async (name) => files.get(name)!);
    const spec = (n: (typeof model.nodes)[number]) => {
      const { weight: _w, bias: _b, ...rest } = n as typeof n & { weight?: unknown; bias?: unknown };
      return rest;
    };
    expect(loaded.nodes.map(spec)).toStrictEqual(model.nodes.map(spec));
    const input = randomInput(elementCount(model.input), 4);
    expect(forwardReference(loaded, input).get('prob')).toEqual(forwardReference(model, input).get('prob'));
  });

  it('keeps the stored form of ungrouped convolutions: no groups or pads fields, read back without them', async () => {
    const arch: Architecture = {
      name: 'plain',
      input: { channels: 3, height: 8, width: 8 },
      preprocess: unitRgbPreprocess(8, 8),
      ...chain([conv('c1', 3, 4, 3, { padding: 1 }), { kind: 'globalAvgPool', name: 'gap' }]),
    };
    const encoded = encodeConvertedModel(randomModel(arch, 1));
    expect(Object.keys(encoded.manifest.nodes[0]).sort()).toEqual(['activation', 'inChannels', 'inputs', 'kernel', 'kind', 'name', 'outChannels', 'output', 'padding', 'stride']);
    const files = new Map(encoded.files.map((f) => [f.name, f.bytes()]));
    const loaded = await loadConvertedModel(encoded.json, async (name) => files.get(name)!);
    expect(loaded.nodes[0]).not.toHaveProperty('groups');
    expect(loaded.nodes[0]).not.toHaveProperty('pads');
  });

  it('rejects malformed pads and groups in a manifest, naming the field', async () => {
    const encoded = encodeConvertedModel(randomModel(straddling, 72));
    const files = new Map(encoded.files.map((f) => [f.name, f.bytes()]));
    const edit = (change: (node: Record<string, unknown>) => void) => {
      const manifest = JSON.parse(encoded.json);
      change(manifest.nodes[3]);
      return loadConvertedModel(JSON.stringify(manifest), async (name) => files.get(name)!);
    };
    await expect(edit((n) => (n.pads = [2, 2, 1]))).rejects.toThrow(/nodes\[3\]\.pads.*must list 4 integers \(has 3\)/);
    await expect(edit((n) => (n.pads = [2, 2, 0.5, 3]))).rejects.toThrow(/nodes\[3\]\.pads\[2\].*must be an integer from 0/);
    await expect(edit((n) => (n.groups = 0))).rejects.toThrow(/nodes\[3\]\.groups.*must be an integer from 1/);
    await expect(edit((n) => (n.groups = 2))).rejects.toThrow(/g2: 9 input and 15 output channels do not divide into 2 groups/);
  });
});
