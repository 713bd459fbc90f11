import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { rules } from '../src/ops/common/rules.ts';
import { fixationPoints } from '../src/backtrack/tree.ts';
import { parseImagenetValLabels } from '../src/datasets/imagenet-val.ts';
import { Explainer } from '../src/explain/explain.ts';
import { decodeImageFile } from '../src/image/decode-node.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { testGpu } from './helpers/gpu.ts';
import { describeWithSharedData, sharedPath } from './helpers/shared-data.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const explainers: Explainer[] = [];
afterAll(() => explainers.forEach((e) => e.destroy()));

/** For each photo: forward once, then both rules for the top-1 and each of the top-3 classes, against the reference. */
async function checkPhotos(modelPath: string, photos: string[]): Promise<{ nearTies: number; fixations: number }> {
  const model = await loadModelFile(modelPath);
  const explainer = await Explainer.create(await testGpu(), model);
  explainers.push(explainer);
  let nearTies = 0;
  let fixations = 0;
  for (const path of photos) {
    const state = await explainer.forward(await decodeImageFile(path));
    const activations = await explainer.gpuModel.readActivations();
    for (const rule of rules) {
      for (const target of state.predictions.slice(0, 3)) {
        const e = await explainer.backtrack(state, rule, target.classIndex);
        const tree = { target: e.target.classIndex, rule, levels: e.layers };
        const what = `${path.split('/').pop()} class ${e.target.classIndex} ${rule}`;
        const comparison = expectTreeMatchesReference(model, activations, tree, rule, what);
        comparison.explainedDifferences.forEach((d) => console.log(d));
        nearTies += comparison.nearTies.length;
        expect(e.fixations).toEqual(fixationPoints(e.layers[e.layers.length - 1]));
        fixations += e.fixations.length;
      }
    }
  }
  return { nearTies, fixations };
}

describeWithSharedData('backtracking with Tiny Darknet\'s real weights', 'tiny-darknet', (dir) => {
  it('on its photos and 20 ImageNet validation images, GPU trees equal the reference (both rules, top-1 and top-3)', async () => {
    const val = sharedPath('imagenet-val');
    const entries = parseImagenetValLabels(readFileSync(`${val}/labels.csv`, 'utf8')).slice(0, 20);
    const photos = [
      ...readdirSync(`${dir}/images`).sort().map((f) => `${dir}/images/${f}`),
      ...entries.map((e) => `${val}/images/${e.file}`),
    ];
    const { nearTies, fixations } = await checkPhotos(`${dir}/tiny.cfg`, photos);
    console.log(`Tiny Darknet: ${photos.length} photos, ${fixations} fixations, ${nearTies} near-ties reported`);
    expect(fixations).toBeGreaterThan(photos.length);
  });
});

describeWithSharedData('backtracking with TinyVGG\'s real weights', 'tiny-vgg', (dir) => {
  it('on every sample image, GPU trees equal the reference (both rules, top-1 and top-3)', async () => {
    const photos = readdirSync(`${dir}/images`).sort().map((f) => `${dir}/images/${f}`);
    const { nearTies, fixations } = await checkPhotos(`${dir}/model.json`, photos);
    console.log(`TinyVGG: ${photos.length} photos, ${fixations} fixations, ${nearTies} near-ties reported`);
    expect(fixations).toBeGreaterThan(photos.length);
  });
});
