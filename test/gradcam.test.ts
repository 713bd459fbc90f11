/**
 * Explainer.gradcam (GPU forward, GPU backward) against the CPU references: the forward reference from the GPU's own
 * input tensor, the gradient reference, Grad-CAM's definition written out here; CAM against Grad-CAM at the pooled
 * tensor (for a linear GAP head the gradient there is the class's weights over the plane size, so CAM = plane · Grad-CAM),
 * on random models and on Tiny Darknet's real weights where ../shared/data has them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Explainer, type ForwardState } from '../src/explain/explain.ts';
import { gradientKeeps } from '../src/graph/gradient-path.ts';
import { chain, inputTensor, type Architecture, type Model } from '../src/graph/model.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import type { RgbaImage } from '../src/image/rgba-image.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { gradientReference } from '../src/reference/gradient.ts';
import { gradientArchitectures } from './helpers/gradient-nets.ts';
import { testGpu } from './helpers/gpu.ts';
import { darknetLikeArchitecture } from './helpers/nets.ts';
import { describeWithSharedData } from './helpers/shared-data.ts';
import { decodeImageFile } from '../src/image/decode-node.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

function randomPhoto(width: number, height: number, seed: number): RgbaImage {
  const rng = seededRandom(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 4 }, () => Math.floor(rng() * 256)) };
}

function gapDenseArchitecture(): Architecture {
  return {
    name: 'gap-dense',
    input: { channels: 3, height: 12, width: 10 },
    preprocess: unitRgbPreprocess(10, 12),
    ...chain([
      { kind: 'conv2d', name: 'c1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 6, activation: 'relu' },
      { kind: 'conv2d', name: 'c2', kernel: 3, stride: 2, padding: 1, inChannels: 6, outChannels: 9, activation: 'leaky' },
      { kind: 'globalAvgPool', name: 'gap' },
      { kind: 'flatten', name: 'flat' },
      { kind: 'dense', name: 'fc', inFeatures: 9, outFeatures: 5, activation: 'linear' },
      { kind: 'softmax', name: 'prob' },
    ]),
  };
}

async function explainerFor(model: Model, keep: string[] = []): Promise<{ explainer: Explainer; state: ForwardState }> {
  const explainer = await Explainer.create(await testGpu(), model, { keep });
  cleanups.push(() => explainer.destroy());
  const state = await explainer.forward(randomPhoto(model.input.width, model.input.height, 3));
  return { explainer, state };
}

/** Grad-CAM from the CPU references on the GPU's own input, written out from its definition. */
const referenceForwards = new WeakMap<ForwardState, Map<string, Float32Array>>();

async function expectedGradcam(explainer: Explainer, state: ForwardState, target: number, layer: string): Promise<Float32Array> {
  let activations = referenceForwards.get(state);
  if (!activations) {
    const input = (await explainer.gpuModel.readActivations([inputTensor])).get(inputTensor)!;
    activations = forwardReference(explainer.model, input);
    referenceForwards.set(state, activations);
  }
  const gradient = gradientReference(explainer.model, activations, target, [layer]).get(layer)!;
  const { channels, height, width } = explainer.gpuModel.graph.shapes.get(layer)!;
  const plane = height * width;
  const map = new Float32Array(plane);
  for (let p = 0; p < plane; p++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      let mean = 0;
      for (let q = 0; q < plane; q++) mean += gradient[c * plane + q] / plane;
      sum += mean * activations.get(layer)![c * plane + p];
    }
    map[p] = Math.max(0, sum);
  }
  return map;
}

/** Compares within 2·10⁻⁴ of the expected map's maximum; returns that maximum. */
function expectMapClose(ours: Float32Array, expected: Float32Array, what: string, mayBeZero = false): number {
  expect(ours.length).toBe(expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  if (!mayBeZero) expect(scale, `${what}: the expected map is all zeros`).toBeGreaterThan(0);
  for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - expected[i]), `${what}[${i}]`).toBeLessThanOrEqual(2e-4 * scale + 1e-6);
  return scale;
}

describe('Explainer.gradcam and cam', () => {
  it('Grad-CAM at the default layer and at an earlier one (kept on request) equals the references', async () => {
    const model = randomModel(gradientArchitectures()[0], 21);
    const { explainer, state } = await explainerFor(model, gradientKeeps(model, 'c1'));
    for (const target of [state.predictions[0].classIndex, 4]) {
      const atDefault = await explainer.gradcam(state, target);
      expect([atDefault.tensor, atDefault.width, atDefault.height]).toEqual(['c2', 3, 3]);
      expectMapClose(atDefault.values, await expectedGradcam(explainer, state, target, 'c2'), `c2, class ${target}`);
      const early = await explainer.gradcam(state, target, 'c1');
      expect([early.tensor, early.width, early.height]).toEqual(['c1', 9, 9]);
      expectMapClose(early.values, await expectedGradcam(explainer, state, target, 'c1'), `c1, class ${target}`);
    }
  });

  it('says what to keep for a layer whose gradient reads tensors the forward dropped; checks the class and the state', async () => {
    const model = randomModel(gradientArchitectures()[0], 22);
    const { explainer, state } = await explainerFor(model);
    await expect(explainer.gradcam(state, 0, 'c1')).rejects.toThrow(/Grad-CAM at "c1" reads tensors this explainer does not keep \(.*cat.*\); create it with keep: gradientKeeps\(model, "c1"\)/);
    await expect(explainer.gradcam(state, 10)).rejects.toThrow(/class 10 is not one of the model's 10 classes/);
    await expect(explainer.cam(state, 0)).rejects.toThrow(/CAM needs a head .* its scores "gap" come from a globalAvgPool that is not one/);
    await explainer.forward(randomPhoto(9, 9, 4));
    await expect(explainer.gradcam(state, 0)).rejects.toThrow(/overwritten by a later forward pass/);
  });

  it('CAM of a GAP → flatten → dense head and of a 1×1 conv → GAP head is the plane size times Grad-CAM at the pooled tensor', async () => {
    for (const [arch, pooled] of [
      [gapDenseArchitecture(), 'c2'],
      [darknetLikeArchitecture(6, 5), 'pool1'],
    ] as const) {
      const model = randomModel(arch, 5);
      const { explainer, state } = await explainerFor(model);
      let largest = 0;
      for (const target of [0, 1, 2, 3, 4]) {
        const cam = await explainer.cam(state, target);
        const gradcam = await explainer.gradcam(state, target, pooled);
        expect([cam.tensor, cam.width, cam.height]).toEqual([pooled, gradcam.width, gradcam.height]);
        const plane = cam.width * cam.height;
        // A class every position argues against has an all-zero map.
        largest = Math.max(largest, expectMapClose(cam.values, gradcam.values.map((v) => v * plane), `${arch.name} CAM, class ${target}`, true));
      }
      expect(largest, `${arch.name}: every class's CAM is all zeros`).toBeGreaterThan(0);
    }
  });

  it('refuses CAM for a dense head after a flatten of a spatial tensor', async () => {
    const model = randomModel(gradientArchitectures()[1], 6);
    const { explainer, state } = await explainerFor(model);
    await expect(explainer.cam(state, 0)).rejects.toThrow(/its scores "fc2" come from a dense \(linear\) that is not one/);
  });
});

describeWithSharedData('Grad-CAM and CAM on Tiny Darknet (real weights)', 'tiny-darknet', (dir) => {
  // Grad-CAM's gradient on these weights is checked against the reference in gradient-gpu.test.ts.
  it('dog.jpg, top-2 classes: Grad-CAM at the 1×1 conv\'s input is CAM over the plane size; at the last layer it is ≥ 0 and not all 0', async () => {
    const model = await loadModelFile(`${dir}/tiny.cfg`);
    const explainer = await Explainer.create(await testGpu(), model);
    cleanups.push(() => explainer.destroy());
    const state = await explainer.forward(await decodeImageFile(`${dir}/images/dog.jpg`));
    for (const { classIndex } of state.predictions.slice(0, 2)) {
      const cam = await explainer.cam(state, classIndex);
      const gradcam = await explainer.gradcam(state, classIndex, cam.tensor);
      const plane = cam.width * cam.height;
      expectMapClose(cam.values, gradcam.values.map((v) => v * plane), `tiny darknet CAM, class ${classIndex}`);
      const last = await explainer.gradcam(state, classIndex);
      expect([last.width, last.height]).toEqual([cam.width, cam.height]);
      expect(last.values.every((v) => v >= 0) && last.values.some((v) => v > 0)).toBe(true);
    }
  });
});
