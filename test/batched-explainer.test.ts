/**
 * The explainer's batched forward passes: multi-crop's five crops in one pass (Explainer.forwardCrops) and the
 * faithfulness metrics' scoring (Explainer.scoreMany on a batched copy of the model). Each crop must give what a single
 * forward pass of that crop gives, and its tree must be the CPU reference's on its own activations.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Explainer, scoringBatch } from '../src/explain/explain.ts';
import { explainMultiCrop, multiCropGeometries } from '../src/explain/multi-crop.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { inputTensor } from '../src/graph/model.ts';
import type { RgbaImage } from '../src/image/rgba-image.ts';
import { rules } from '../src/ops/common/rules.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { elementCount } from '../src/model/shapes.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { smallArchitectures } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

function randomPhoto(width: number, height: number, seed: number): RgbaImage {
  const rng = seededRandom(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 4 }, () => Math.floor(rng() * 256)) };
}

async function explainerPair(seed: number, arch = smallArchitectures()[0]): Promise<{ batched: Explainer; single: Explainer }> {
  const model = randomModel(arch, seed);
  const context = await testGpu();
  const [batched, single] = [await Explainer.create(context, model), await Explainer.create(context, model)];
  cleanups.push(() => batched.destroy(), () => single.destroy());
  return { batched, single };
}

describe('Explainer.forwardCrops', () => {
  it('gives every crop the scores, activations and trees of its own single forward pass', async () => {
    for (const [a, arch] of smallArchitectures().entries()) {
      const { batched, single } = await explainerPair(40 + a, arch);
      const { model } = batched;
      const photo = randomPhoto(61, 47, 3 + a);
      const geometries = multiCropGeometries(photo.width, photo.height, model.input.width, model.input.height, 40);
      const states = await batched.forwardCrops(photo, geometries);
      expect(states.map((s) => s.image)).toEqual([0, 1, 2, 3, 4]);
      // Backtrack the crops out of order, and one twice, so each copy into the single model is exercised.
      for (const i of [3, 0, 4, 3, 1, 2]) {
        const own = await single.forward(photo, geometries[i]);
        const ownActivations = await single.gpuModel.readActivations();
        expectClose(states[i].probabilities, own.probabilities, 1e-5, `${arch.name} crop ${i} probabilities`);
        expect(states[i].geometry).toEqual(own.geometry);
        for (const rule of rules) {
          const e = await batched.backtrack(states[i], rule);
          const activations = await batched.gpuModel.readActivations();
          for (const [name, values] of activations) expectClose(values, ownActivations.get(name)!, 1e-5, `${arch.name} crop ${i} ${name}`);
          const reference = forwardReference(model, activations.get(inputTensor)!);
          expectClose(activations.get(model.output)!, reference.get(model.output)!, 1e-4, `${arch.name} crop ${i} output against the reference`);
          const tree = { target: e.target.classIndex, rule, levels: e.layers };
          expectTreeMatchesReference(model, activations, tree, rule, `${arch.name} crop ${i} ${rule}`);
          expect(e.image).toBe(i);
        }
      }
    }
  });

  it('Grad-CAM and CAM of a crop read that crop', async () => {
    const { batched, single } = await explainerPair(50, smallArchitectures()[1]);
    const photo = randomPhoto(52, 40, 9);
    const { width, height } = batched.model.input;
    const geometries = multiCropGeometries(photo.width, photo.height, width, height, 30);
    const states = await batched.forwardCrops(photo, geometries);
    for (const i of [2, 0]) {
      const own = await single.forward(photo, geometries[i]);
      const target = own.predictions[1].classIndex;
      expectClose((await batched.gradcam(states[i], target)).values, (await single.gradcam(own, target)).values, 1e-4, `Grad-CAM crop ${i}`);
      expectClose((await batched.cam(states[i], target)).values, (await single.cam(own, target)).values, 1e-4, `CAM crop ${i}`);
    }
  });

  it('refuses crops of an earlier pass once another forward ran', async () => {
    const { batched } = await explainerPair(51);
    const photo = randomPhoto(40, 40, 1);
    const { width, height } = batched.model.input;
    const states = await batched.forwardCrops(photo, multiCropGeometries(40, 40, width, height, 30));
    await batched.forward(photo);
    await expect(batched.backtrack(states[1], 'hysm')).rejects.toThrow(/overwritten by a later forward pass/);
  });

  it('explainMultiCrop merges the crops as five single passes would', async () => {
    const { batched, single } = await explainerPair(52);
    const photo = randomPhoto(70, 50, 12);
    const { width, height } = batched.model.input;
    const m = await explainMultiCrop(batched, photo, 'official', [3]);
    const geometries = multiCropGeometries(photo.width, photo.height, width, height);
    const tops: number[] = [];
    for (const geometry of geometries) tops.push((await single.forward(photo, geometry)).predictions[0].classIndex);
    expect(m.cropTopClasses).toEqual(tops);
    expect(m.extra.get(3)!.length).toBeGreaterThan(0);
  });
});

describe('Explainer.scoreMany', () => {
  it('scores on a batched copy of the model equal the single passes', async () => {
    const { batched, single } = await explainerPair(53, smallArchitectures()[2]);
    const { model } = batched;
    expect(scoringBatch(batched.gpuModel, 11)).toBeGreaterThan(1);
    const rng = seededRandom(4);
    const inputs = Array.from({ length: 11 }, () => Float32Array.from({ length: elementCount(model.input) }, () => rng()));
    const scores = await batched.scoreMany(inputs);
    expect(scores).toHaveLength(11);
    for (const [i, input] of inputs.entries()) {
      const own = await single.gpuModel.runTensor(input);
      expectClose(scores[i], own.scores, 1e-5, `input ${i}`);
    }
  });
});
