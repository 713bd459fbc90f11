/**
 * Exact ties break to the lowest index. The reference comparison (tree-compare.ts) lets a near-tie go either way, so
 * exact ties are checked here on their own: weights set by hand so that many contributions are exactly equal.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { chain, type Architecture } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import type { DenseLayer } from '../src/ops/dense/spec.ts';
import type { Conv2dLayer } from '../src/ops/conv2d/spec.ts';
import { testGpu } from './helpers/gpu.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/** 3 channels of 2×2 after a 1×1 conv, flattened to 12 features, one dense layer: the official rule's boundary. */
const architecture: Architecture = {
  name: 'ties',
  input: { channels: 3, height: 2, width: 2 },
  preprocess: unitRgbPreprocess(2, 2),
  ...chain([
    { kind: 'conv2d', name: 'c1', kernel: 1, stride: 1, padding: 0, inChannels: 3, outChannels: 3, activation: 'relu' },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'd1', inFeatures: 12, outFeatures: 2, activation: 'linear' },
  ]),
};

describe('exact ties at the fc → spatial boundary (official rule)', () => {
  it('the lowest of many equal contributions wins, within a vec4 and across vec4s', async () => {
    const model = randomModel(architecture, 3);
    const conv = model.nodes[0] as Conv2dLayer;
    // Channel 0 passes the (positive) input on; channels 1 and 2 are negative before the ReLU: exactly 0.
    conv.weight.set([1, 1, 1, -1, -1, -1, -1, -1, -1]);
    conv.bias.fill(0);
    const dense = model.nodes[2] as DenseLayer;
    // Class 0: −1 on channel 0's four features, +1 on the zeros: 8 contributions of exactly 0, the largest.
    // Class 1: every contribution −1·a or exactly 0 the same way, but channel 0 weighted 0 too: 12 equal zeros.
    const flatOrder = Array.from({ length: 12 }, (_, i) => i);
    for (const i of flatOrder) {
      dense.weight[i] = i < 4 ? -1 : 1;
      dense.weight[12 + i] = 0;
    }
    const gpu = await GpuModel.create(await testGpu(), model);
    cleanups.push(() => gpu.destroy());
    await gpu.runTensor(Float32Array.from({ length: 12 }, (_, i) => 0.25 + i / 16));
    const flat = (await gpu.readActivations(['flat'])).get('flat')!;
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => backtracker.destroy());
    for (const target of [0, 1]) {
      const products = flatOrder.map((i) => dense.weight[target * 12 + i] * flat[i]);
      const best = Math.max(...products);
      const expected = products.indexOf(best);
      // Several features tie for the largest, in more than one vec4 lane and vec4.
      expect(products.filter((p) => p === best).length).toBeGreaterThanOrEqual(8);
      const { tree } = await backtracker.run(target, 'official');
      const level = tree.levels.find((l) => l.name === 'flat')!;
      expect(Array.from(level.nodes), `class ${target}`).toEqual([expected]);
    }
  });
});
