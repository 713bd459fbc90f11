import { mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { wnidsFromText } from '../src/datasets/imagenet-val.ts';
import { evaluateLocalization } from '../src/eval/localization-eval.ts';
import { evaluateSaliency } from '../src/eval/saliency-eval.ts';
import { Explainer } from '../src/explain/explain.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { multiCropGeometries } from '../src/explain/multi-crop.ts';
import { AttentionMapper } from '../src/postprocess/attention-mapper.ts';
import { defaultMapSettings } from '../src/postprocess/settings.ts';
import { testGpu } from './helpers/gpu.ts';
import { describeWithSharedData, sharedPath } from './helpers/shared-data.ts';

it('multi-crop takes the four corners and the centre at a shorter side of 256', () => {
  const crops = multiCropGeometries(500, 375, 224, 224);
  const side = 224 / (256 / 375);
  expect(crops.map((c) => [c.source.x, c.source.y])).toEqual([[0, 0], [500 - side, 0], [0, 375 - side], [500 - side, 375 - side], [(500 - side) / 2, (375 - side) / 2]]);
  for (const c of crops) {
    expect(c.source.width).toBeCloseTo(side);
    expect(c.content).toEqual({ x: 0, y: 0, width: 224, height: 224 });
  }
});

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describeWithSharedData('the evaluations on a few shared photos', 'tiny-darknet', (dir) => {
  const open = async () => {
    const context = await testGpu();
    const explainer = await Explainer.create(context, await loadModelFile(`${dir}/tiny.cfg`));
    const mapper = await AttentionMapper.create(context);
    cleanups.push(() => (mapper.destroy(), explainer.destroy()));
    return { explainer, mapper };
  };

  it('saliency: scores in range, and a photo stored on its side is turned to match its mask', async () => {
    const sod = sharedPath('sod');
    const images = mkdtempSync(join(tmpdir(), 'fixations-sod-'));
    // 104022 is stored rotated against its mask; the others are not.
    const picked = ['104022.jpg', ...readdirSync(`${sod}/images`).sort().filter((f) => f !== '104022.jpg').slice(0, 2)];
    for (const f of picked) symlinkSync(`${sod}/images/${f}`, join(images, f));
    const { explainer, mapper } = await open();
    const options = { images, masks: `${sod}/masks`, rule: 'hysm' as const, settings: defaultMapSettings, multiCrop: false };
    const result = await evaluateSaliency(explainer, mapper, { ...options, transposedPhotos: 'rotate-ccw' });
    expect(result.failed).toEqual([]);
    expect(result.images.map((r) => [r.file, r.rotated])).toEqual([...picked].sort().map((f) => [f, f === '104022.jpg' ? 270 : 0]));
    for (const value of Object.values(result.mean)) expect(value).toBeGreaterThanOrEqual(0);
    expect(result.mean.accuracy).toBeLessThanOrEqual(1);
    expect(result.maxF.f).toBeGreaterThan(0);
    const skipped = await evaluateSaliency(explainer, mapper, { ...options, transposedPhotos: 'skip' });
    expect(skipped.images).toHaveLength(2);
    expect(skipped.failed).toEqual([{ file: '104022.jpg', error: expect.stringMatching(/481×321, its mask 321×481 \(skipped\)/) }]);
  });

  it('localization: boxes, IoUs and the three rates, single view and multi-crop', async () => {
    const val = sharedPath('imagenet-val');
    const labels = join(mkdtempSync(join(tmpdir(), 'fixations-val-')), 'labels.csv');
    writeFileSync(labels, readFileSync(`${val}/labels.csv`, 'utf8').split('\n').slice(0, 4).join('\n'));
    const { explainer, mapper } = await open();
    const wnids = wnidsFromText(readFileSync(`${dir}/wnids.txt`, 'utf8'));
    for (const multiCrop of [false, true]) {
      const result = await evaluateLocalization(explainer, mapper, { images: `${val}/images`, labels, wnids, rule: 'hysm', settings: defaultMapSettings, multiCrop });
      expect(result.failed).toEqual([]);
      expect(result.images).toHaveLength(3);
      for (const r of result.images) {
        expect(r.iou).toBeGreaterThanOrEqual(0);
        expect(r.iou).toBeLessThanOrEqual(1);
        expect(r.gtKnownBox).not.toBeNull();
      }
      const wrongClass = result.images.filter((r) => !r.classCorrect).length / 3;
      expect(result.top1ClassificationError).toBeCloseTo(wrongClass);
      expect(result.top1LocalizationError).toBeGreaterThanOrEqual(result.top1ClassificationError);
    }
  });
});
