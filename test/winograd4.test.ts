import { afterAll, describe, expect, it } from 'vitest';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { chain, inputTensor, type Architecture, type ArchitectureNode } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { elementCount, type TensorShape } from '../src/model/shapes.ts';
import type { Activation } from '../src/ops/common/activation.ts';
import { defaultKernelChoices, workgroupGemmTile, type KernelChoices } from '../src/ops/common/kernel-choices.ts';
import { kernelChoicesFor, tuneWinograd, type Measurement, type TuningResult } from '../src/forward/autotune.ts';
import { rules } from '../src/ops/common/rules.ts';
import type { Conv2dSpec } from '../src/ops/conv2d/spec.ts';
import { Conv2dWinogradOp } from '../src/ops/conv2d/winograd.ts';
import { cookToom, winograd4Matrices } from '../src/ops/conv2d/winograd4.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

const f4: Partial<KernelChoices> = { winograd: true, winogradTile: 4 };

describe('Cook–Toom matrices', () => {
  // Y_i = Σ_k g_k d_{i+k} for every g and d: Σ_j Aᵀ[i][j] G[j][k] Bᵀ[j][l] = [l = i + k].
  const identityError = ({ at, g, bt }: ReturnType<typeof cookToom>) => {
    let worst = 0;
    at.forEach((row, i) => g[0].forEach((_, k) => bt[0].forEach((_, l) => {
      const sum = row.reduce((acc, a, j) => acc + a * g[j][k] * bt[j][l], 0);
      worst = Math.max(worst, Math.abs(sum - (l === i + k ? 1 : 0)));
    })));
    return worst;
  };

  it('give a 3×3 correlation for F(2), F(4) with either point set, and F(6)', () => {
    for (const [points, m] of [[[0, 1, -1], 2], [[0, 1, -1, 2, -2], 4], [[0, 1, -1, 2, -0.5], 4], [[0, 1, -1, 2, -2, 0.5, -0.5], 6]] as const) {
      expect(identityError(cookToom([...points], m)), `points ${points}`).toBeLessThan(1e-12);
    }
    expect(identityError(winograd4Matrices)).toBeLessThan(1e-12);
    // Lavin & Gray's published Bᵀ for 0, ±1, ±2.
    expect(cookToom([0, 1, -1, 2, -2], 4).bt[0]).toEqual([4, 0, -5, 0, 1, 0]);
    expect(() => cookToom([0, 1], 4)).toThrow(/needs 5 finite points/);
  });
});

const conv = (name: string, input: string, inChannels: number, outChannels: number, options: Partial<Conv2dSpec> & { activation: Activation }): ArchitectureNode => ({
  kind: 'conv2d', name, inputs: [input], output: name, kernel: 3, stride: 1, padding: 1, inChannels, outChannels, ...options,
});

/** One 3×3 stride-1 conv on an input of this shape (then a global average pool: a model's output is a vector). */
function single(name: string, input: TensorShape, outChannels: number, options: Partial<Conv2dSpec> & { activation: Activation }): Architecture {
  return {
    name,
    input,
    preprocess: unitRgbPreprocess(input.width, input.height),
    ...chain([
      { kind: 'conv2d', name: 'w', kernel: 3, stride: 1, padding: 1, inChannels: input.channels, outChannels, ...options },
      { kind: 'globalAvgPool', name: 'gap' },
    ]),
  };
}

const cases: Architecture[] = [
  single('even 8×8, 8 → 8, linear', { channels: 8, height: 8, width: 8 }, 8, { activation: 'linear' }),
  single('odd 9×7, 10 → 13 (partial tiles, channels not multiples of 4), relu', { channels: 10, height: 9, width: 7 }, 13, { activation: 'relu' }),
  single('asymmetric pads [0, 2, 1, 0] on 11×10, 6 → 7, leaky', { channels: 6, height: 11, width: 10 }, 7, { pads: [0, 2, 1, 0], activation: 'leaky' }),
  single('no padding on 10×13, 5 → 9, relu6', { channels: 5, height: 10, width: 13 }, 9, { padding: 0, activation: 'relu6' }),
  single('image smaller than a tile: 2×3, 7 → 6, relu', { channels: 7, height: 2, width: 3 }, 6, { activation: 'relu' }),
  single('1×1 image, 12 → 20, linear', { channels: 12, height: 1, width: 1 }, 20, { activation: 'linear' }),
  single('VGG-like 14×14, 64 → 36, relu', { channels: 64, height: 14, width: 14 }, 36, { activation: 'relu' }),
];

async function expectForwardMatches(arch: Architecture, kernels: Partial<KernelChoices>, seed: number): Promise<GpuModel> {
  const model = randomModel(arch, seed);
  const gpu = await GpuModel.create(await testGpu(), model, { kernels });
  cleanups.push(() => gpu.destroy());
  const input = randomInput(elementCount(arch.input), seed + 1);
  await gpu.runTensor(input);
  const got = await gpu.readActivations();
  const want = forwardReference(model, input);
  expect(got.has(model.nodes[0].output), 'the first conv\'s output is read back').toBe(true);
  for (const [name, values] of got) expectClose(values, want.get(name)!, 1e-4, `${arch.name} tensor ${name}`);
  return gpu;
}

describe('Winograd F(4×4, 3×3) on the GPU equals the CPU reference', () => {
  for (const [i, arch] of cases.entries()) {
    it(arch.name, async () => {
      const gpu = await expectForwardMatches(arch, f4, 100 + i);
      const op = gpu.ops[0];
      expect(op).toBeInstanceOf(Conv2dWinogradOp);
      expect((op as Conv2dWinogradOp).variant.outputTile).toBe(4);
    });
  }

  it('with the workgroup-memory GEMM tile and another register tile', async () => {
    await expectForwardMatches(cases[1], { ...f4, gemmTile: workgroupGemmTile }, 7);
    await expectForwardMatches(cases[6], { ...f4, gemmTile: { tileM: 4, tileN4: 2, threads: 64 } }, 8);
  });

  it('F(2×2) still runs when asked for', async () => {
    const gpu = await expectForwardMatches(cases[1], { winograd: true, winogradTile: 2 }, 9);
    expect((gpu.ops[0] as Conv2dWinogradOp).variant.outputTile).toBe(2);
  });
});

/** Two Winograd branches of different padding from one stem, added, then a third on the sum, and a dense head. */
const branchy: Architecture = {
  name: 'branches',
  input: { channels: 3, height: 13, width: 11 },
  preprocess: unitRgbPreprocess(11, 13),
  nodes: [
    conv('stem', inputTensor, 3, 9, { activation: 'relu' }),
    conv('a', 'stem', 9, 8, { activation: 'relu' }),
    conv('b', 'stem', 9, 8, { pads: [2, 1, 0, 1], activation: 'linear' }),
    { kind: 'add', name: 'sum', inputs: ['a', 'b'], output: 'sum', activation: 'relu' },
    conv('c', 'sum', 8, 6, { padding: 0, activation: 'leaky' }),
    { kind: 'maxpool', name: 'pool', inputs: ['c'], output: 'pool', size: 2, stride: 2 },
    { kind: 'flatten', name: 'flat', inputs: ['pool'], output: 'flat' },
    { kind: 'dense', name: 'fc', inputs: ['flat'], output: 'fc', inFeatures: 6 * 5 * 4, outFeatures: 5, activation: 'linear' },
    { kind: 'softmax', name: 'prob', inputs: ['fc'], output: 'prob' },
  ],
  output: 'prob',
};

describe('a graph with F(4×4) convolutions', () => {
  it('forward equals the reference and backtracking gives the reference trees', async () => {
    const gpu = await expectForwardMatches(branchy, f4, 21);
    expect(gpu.ops.filter((op) => op instanceof Conv2dWinogradOp && op.variant.outputTile === 4).length).toBe(3);
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => backtracker.destroy());
    const activations = await gpu.readActivations();
    for (const rule of rules) {
      for (const target of [0, 3]) {
        const { tree } = await backtracker.run(target, rule);
        const { explainedDifferences } = expectTreeMatchesReference(gpu.model, activations, tree, rule, `branches class ${target} ${rule}`);
        explainedDifferences.forEach((d) => console.log(d));
      }
    }
  });
});

describe('the Winograd choice', () => {
  const adapter = { name: 'SwiftShader test', isFallbackAdapter: true };
  const storeWith = (choices: object) => ({ load: () => ({ adapter: adapter.name, date: '', measurements: [], choices }) as unknown as TuningResult, save: () => {} });

  it('is F(4×4) by default; a stored tile is kept, an unknown one falls back with a warning, an old store takes the default', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(defaultKernelChoices.winogradTile).toBe(4);
    expect(kernelChoicesFor({ adapter, hasSubgroups: false }, storeWith({ ...defaultKernelChoices, winogradTile: 2 }), warn).winogradTile).toBe(2);
    expect(warnings).toEqual([]);
    expect(kernelChoicesFor({ adapter, hasSubgroups: false }, storeWith({ ...defaultKernelChoices, winogradTile: 6 }), warn).winogradTile).toBe(4);
    expect(warnings[0]).toMatch(/stored Winograd tile 6 is unknown \(choose from 2, 4\); using 4/);
    const { winogradTile: _tile, ...old } = defaultKernelChoices;
    expect(kernelChoicesFor({ adapter, hasSubgroups: false }, storeWith(old), warn).winogradTile).toBe(4);
    expect(warnings.length).toBe(1);
  });

  it('`fixations tune` measures both variants (the whole op) and keeps the faster', async () => {
    const measured: Measurement[] = [];
    const chosen = await tuneWinograd(await testGpu(), defaultKernelChoices.gemmTile, 1, (m) => measured.push(m), { side: 9, channels: 16 });
    expect(measured.map((m) => [m.kernel, m.candidate])).toEqual([['winograd', 'F(2×2, 3×3)'], ['winograd', 'F(4×4, 3×3)']]);
    expect(measured.every((m) => m.ms > 0)).toBe(true);
    expect(chosen).toBe(measured[0].ms <= measured[1].ms ? 2 : 4);
  });
});
