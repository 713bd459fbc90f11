import { afterAll, describe, expect, it } from 'vitest';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { rules } from '../src/ops/common/rules.ts';
import { fixationPoints } from '../src/backtrack/tree.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import type { LayerSpec } from '../src/ops/layers.ts';
import { chain, type Architecture } from '../src/graph/model.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { elementCount } from '../src/model/shapes.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput, smallArchitectures } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/** A net with a 5×5/2 conv, a 3×3/2 pool and padding that reaches past the window centre, for the official rule's clamps. */
const edgeCases: Architecture = {
  name: 'edge-cases',
  input: { channels: 3, height: 21, width: 18 },
  preprocess: unitRgbPreprocess(18, 21),
  ...chain([
    { kind: 'conv2d', name: 'c1', kernel: 5, stride: 2, padding: 2, inChannels: 3, outChannels: 6, activation: 'leaky' },
    { kind: 'maxpool', name: 'p1', size: 3, stride: 2 },
    { kind: 'conv2d', name: 'c2', kernel: 3, stride: 1, padding: 2, inChannels: 6, outChannels: 9, activation: 'relu' },
    { kind: 'conv2d', name: 'c3', kernel: 2, stride: 1, padding: 1, inChannels: 9, outChannels: 7, activation: 'linear' },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'fc', inFeatures: 7 * 8 * 7, outFeatures: 12, activation: 'relu' },
    { kind: 'dense', name: 'out', inFeatures: 12, outFeatures: 5, activation: 'linear' },
    { kind: 'softmax', name: 'prob' },
  ] satisfies LayerSpec[]),
};

describe('GPU backtracking equals the CPU reference on seeded random nets', () => {
  for (const arch of [...smallArchitectures(), edgeCases]) {
    it(`${arch.name}: every target, both rules, layer by layer and as a whole`, async () => {
      const context = await testGpu();
      const model = randomModel(arch, 21);
      const gpu = await GpuModel.create(context, model);
      const backtracker = await GpuBacktracker.create(gpu);
      cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
      for (const seed of [1, 2]) {
        await gpu.runTensor(randomInput(elementCount(arch.input), seed));
        const activations = await gpu.readActivations();
        const classes = activations.get(model.output)!.length;
        for (const rule of rules) {
          for (let target = 0; target < classes; target++) {
            const { tree } = await backtracker.run(target, rule);
            const { explainedDifferences } = expectTreeMatchesReference(model, activations, tree, rule, `${arch.name} seed ${seed} class ${target} ${rule}`);
            explainedDifferences.forEach((d) => console.log(d));
          }
        }
      }
    });
  }

  it('with dense weights split over several bindings (small limits), every tree still equals the reference', async () => {
    const arch = smallArchitectures()[2];
    const model = randomModel(arch, 23);
    // d1's weights (594 × 132 floats ≈ 310 KB) are split in 64 KiB chunks, so a memory vector spans several of them.
    const small = await testGpu({ maxStorageBufferBindingSize: 64 * 1024, maxBufferSize: 64 * 1024 });
    const gpu = await GpuModel.create(small, model, { kernels: { winograd: false } });
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
    const d1 = gpu.ops[arch.nodes.findIndex((l) => l.name === 'd1')] as unknown as { weights: { chunks: unknown[] } };
    expect(d1.weights.chunks.length).toBeGreaterThan(2);
    await gpu.runTensor(randomInput(elementCount(arch.input), 4));
    const activations = await gpu.readActivations();
    for (const rule of rules) {
      for (let target = 0; target < activations.get(model.output)!.length; target++) {
        const { tree } = await backtracker.run(target, rule);
        expectTreeMatchesReference(model, activations, tree, rule, `split ${arch.name} class ${target} ${rule}`);
      }
    }
  });

  it('the official rule keeps one contributor at the boundary; hysm keeps every positive one', async () => {
    const model = randomModel(smallArchitectures()[2], 5);
    const gpu = await GpuModel.create(await testGpu(), model);
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
    await gpu.runTensor(randomInput(elementCount(model.input), 3));
    const official = (await backtracker.run(0, 'official')).tree;
    const hysm = (await backtracker.run(0, 'hysm')).tree;
    const flatten = (tree: typeof official) => tree.levels.find((l) => l.name === 'flat')!;
    const d1 = (tree: typeof official) => tree.levels.find((l) => l.name === 'd1')!;
    expect(Array.from(d1(official).childCounts).every((c) => c === 1)).toBe(true);
    expect(flatten(official).nodes.length).toBeLessThanOrEqual(d1(official).nodes.length);
    expect(flatten(hysm).nodes.length).toBeGreaterThan(flatten(official).nodes.length);
  });

  it('rejects a target outside the classes', async () => {
    const gpu = await GpuModel.create(await testGpu(), randomModel(smallArchitectures()[0], 1));
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
    await expect(backtracker.run(11, 'hysm')).rejects.toThrow(/target class 11 is not one of the model's 11 classes/);
  });

  it('fixations are the input level\'s nodes without channels, sorted by y then x', () => {
    const level = { name: 'input', parentTensors: ['c1'], parentTensor: new Uint32Array(5), shape: { channels: 3, height: 4, width: 5 }, nodes: Uint32Array.of(3, 7, 20 + 3, 40 + 19, 45), parents: new Uint32Array(5), parentCounts: new Uint32Array(5), childCounts: new Uint32Array(5) };
    expect(fixationPoints(level)).toEqual([[3, 0], [0, 1], [2, 1], [4, 3]]);
  });
});
