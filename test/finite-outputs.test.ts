/**
 * Non-finite scores (issue 13, item 3): a model whose numbers overflow float32 must fail with a message naming the
 * first layer whose output is not finite, in classify and in explain, instead of printing NaN% and empty fixations.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../src/explain/classify.ts';
import { Explainer } from '../src/explain/explain.ts';
import { NonFiniteOutputError } from '../src/explain/finite-outputs.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import type { Conv2dLayer, DenseLayer } from '../src/ops/layers.ts';
import { chain, type Architecture, type Model } from '../src/graph/model.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { testGpu } from './helpers/gpu.ts';

const arch: Architecture = {
  name: 'overflowing',
  input: { channels: 3, height: 8, width: 8 },
  preprocess: unitRgbPreprocess(8, 8),
  ...chain([
    { kind: 'conv2d', name: 'conv1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 4, activation: 'relu' },
    { kind: 'maxpool', name: 'pool1', size: 2, stride: 2 },
    { kind: 'flatten', name: 'flatten1' },
    { kind: 'dense', name: 'fc1', inFeatures: 64, outFeatures: 5, activation: 'relu' },
    { kind: 'dense', name: 'fc2', inFeatures: 5, outFeatures: 3, activation: 'linear' },
    { kind: 'softmax', name: 'softmax' },
  ]),
};

/** fc1's weights of ±3e38 (finite, so the loaders accept them) over inputs of 1: its sums overflow to ±Infinity. */
function overflowingModel(): Model {
  const model = randomModel(arch, 3);
  const conv = model.nodes[0] as Conv2dLayer;
  conv.weight.fill(0);
  conv.bias.fill(1);
  const fc1 = model.nodes[3] as DenseLayer;
  fc1.weight.forEach((_, i) => (fc1.weight[i] = i % 7 === 0 ? -3e38 : 3e38));
  return model;
}

const photo = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 4).fill(128) };
const models: GpuModel[] = [];
afterAll(() => models.forEach((m) => m.destroy()));

describe('non-finite scores', () => {
  it('classify fails naming the first layer whose output is not finite', async () => {
    const gpu = await GpuModel.create(await testGpu(), overflowingModel());
    models.push(gpu);
    const failed = classify(gpu, photo);
    await expect(failed).rejects.toThrow(NonFiniteOutputError);
    await expect(classify(gpu, photo)).rejects.toThrow(/^overflowing: the scores are not finite \(class \d is NaN\): layer fc1 is the first whose output is \((-?Infinity|NaN) at index \d\)/);
  });

  it('explain fails the same way instead of writing probability null and no fixations', async () => {
    const explainer = await Explainer.create(await testGpu(), overflowingModel());
    try {
      await expect(explainer.explain(photo)).rejects.toThrow(/layer fc1 is the first whose output is/);
    } finally {
      explainer.destroy();
    }
  });

  it('a finite model is untouched by the check', async () => {
    const gpu = await GpuModel.create(await testGpu(), randomModel(arch, 4));
    models.push(gpu);
    const result = await classify(gpu, photo, 3);
    expect(result.predictions).toHaveLength(3);
    expect(result.predictions.every((p) => Number.isFinite(p.probability))).toBe(true);
  });
});
