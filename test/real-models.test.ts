import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { classify, endsInSoftmax } from '../src/explain/classify.ts';
import { parseImagenetValLabels, wnidsFromText } from '../src/datasets/imagenet-val.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { decodeImageFile } from '../src/image/decode-node.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { probabilities, topPredictions } from '../src/explain/predictions.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import type { Model } from '../src/graph/model.ts';
import { testGpu } from './helpers/gpu.ts';
import { describeWithSharedData, sharedPath } from './helpers/shared-data.ts';

const gpuModels: GpuModel[] = [];
afterAll(() => gpuModels.forEach((m) => m.destroy()));

async function open(model: Model): Promise<GpuModel> {
  const gpu = await GpuModel.create(await testGpu(), model);
  gpuModels.push(gpu);
  return gpu;
}

/** The CPU reference's top-k for a photo: reference preprocessing, reference forward. */
function referenceTop(model: Model, photo: Parameters<typeof preprocessReference>[0], k: number): number[] {
  const activations = forwardReference(model, preprocessReference(photo, model.preprocess));
  const probs = probabilities(activations.get(model.output)!, endsInSoftmax(model));
  return topPredictions(probs, model.labels, k).map((p) => p.classIndex);
}

describeWithSharedData('Tiny Darknet, real ImageNet weights', 'tiny-darknet', (dir) => {
  const modelPromise = loadModelFile(`${dir}/tiny.cfg`);

  it('top-5 on its photos equals the CPU reference', async () => {
    const model = await modelPromise;
    const gpu = await open(model);
    for (const file of readdirSync(`${dir}/images`).sort()) {
      const photo = await decodeImageFile(`${dir}/images/${file}`);
      const got = (await classify(gpu, photo, 5)).predictions.map((p) => p.classIndex);
      expect(got, file).toEqual(referenceTop(model, photo, 5));
    }
  });

  it('reaches at least 50% top-1 on the first 50 ImageNet validation images', async () => {
    const valDir = sharedPath('imagenet-val');
    const entries = parseImagenetValLabels(readFileSync(`${valDir}/labels.csv`, 'utf8')).slice(0, 50);
    const wnids = wnidsFromText(readFileSync(`${dir}/wnids.txt`, 'utf8'));
    const gpu = await open(await modelPromise);
    let correct = 0;
    for (const entry of entries) {
      const photo = await decodeImageFile(`${valDir}/images/${entry.file}`);
      const [top] = (await classify(gpu, photo, 1)).predictions;
      if (wnids[top.classIndex] === entry.wnid) correct++;
    }
    console.log(`Tiny Darknet top-1 on the first ${entries.length} ImageNet validation images: ${correct}/${entries.length}`);
    expect(entries).toHaveLength(50);
    expect(correct / entries.length).toBeGreaterThanOrEqual(0.5);
  });
});

/** Sample images are named `<prefix>_<n>.jpeg`. */
const tinyVggFilePrefixes: Record<string, string> = {
  boat: 'lifeboat',
  bug: 'ladybug',
  bus: 'school bus',
  car: 'sport car',
  espresso: 'espresso',
  koala: 'koala',
  orange: 'orange',
  panda: 'red panda',
  pepper: 'bell pepper',
  pizza: 'pizza',
};

describeWithSharedData('TinyVGG, real weights', 'tiny-vgg', (dir) => {
  it('predicts the same class as the CPU reference on every sample image', async () => {
    const model = await loadModelFile(`${dir}/model.json`);
    expect(model.labels[0]).toBe('lifeboat');
    const gpu = await open(model);
    const files = readdirSync(`${dir}/images`).sort();
    expect(files.length).toBeGreaterThan(10);
    let agreeWithName = 0;
    for (const file of files) {
      const photo = await decodeImageFile(`${dir}/images/${file}`);
      const [top] = (await classify(gpu, photo, 1)).predictions;
      expect(top.classIndex, file).toBe(referenceTop(model, photo, 1)[0]);
      if (tinyVggFilePrefixes[file.split('_')[0]] === top.label) agreeWithName++;
    }
    console.log(`TinyVGG agrees with the file name on ${agreeWithName}/${files.length} sample images`);
  });
});
