import { afterAll, describe, expect, it } from 'vitest';
import { AttentionMapper } from '../src/postprocess/attention-mapper.ts';
import { boxAroundPoints, boxIoU, largestRegionBox, pixelBoxEdges, type Point } from '../src/postprocess/geometry.ts';
import { makeMaps, mapSize } from '../src/postprocess/maps.ts';
import { defaultMapSettings } from '../src/postprocess/settings.ts';
import { fMeasure, maxF, precisionRecallCurve, saliencyScores, sweepThresholds } from '../src/postprocess/metrics.ts';
import { removeOutliers } from '../src/postprocess/outliers.ts';
import { blurRadius } from '../src/postprocess/settings.ts';
import { seededRandom } from '../src/graph/random-model.ts';
import { attentionMapReference, removeOutliersReference, saliencyReference } from '../src/reference/postprocess.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';

function cloud(seed: number, width: number, height: number, count: number): Point[] {
  const random = seededRandom(seed);
  const centre: Point = [Math.floor(random() * width), Math.floor(random() * height)];
  return Array.from({ length: count }, (_, i): Point => {
    if (i % 7 === 0) return [Math.floor(random() * width), Math.floor(random() * height)];
    const x = Math.min(width - 1, Math.max(0, Math.round(centre[0] + (random() - 0.5) * width * 0.2)));
    const y = Math.min(height - 1, Math.max(0, Math.round(centre[1] + (random() - 0.5) * height * 0.2)));
    return [x, y];
  });
}

describe('outlier removal', () => {
  it('the grid search keeps exactly what the brute-force reference keeps', () => {
    for (const [seed, share, fraction] of [[1, 0.05, 0.1], [2, 0.2, 0.05], [3, 0.01, 0.3], [4, 0.5, 0.1]] as const) {
      const points = cloud(seed, 300, 200, 400);
      const radius = fraction * Math.hypot(300, 200);
      const { kept, removed } = removeOutliers(points, radius, share);
      expect(kept).toEqual(removeOutliersReference(points, radius, share));
      expect(kept.length + removed.length).toBe(points.length);
    }
  });

  it('counts the point itself, as the reference code does', () => {
    // One isolated point of 10: it has 1 neighbour (itself) and 1 > 5% of 10 — kept.
    const points: Point[] = [[0, 0], ...Array.from({ length: 9 }, (): Point => [100, 100])];
    expect(removeOutliers(points, 5, 0.05).kept).toHaveLength(10);
    expect(removeOutliers(points, 5, 0.15).kept).toHaveLength(9);
  });
});

describe('GPU attention and saliency maps equal the CPU reference', () => {
  let mapper: AttentionMapper;
  afterAll(() => mapper?.destroy());
  const cases: [string, Point[], number, number, number, number | 'adaptive'][] = [
    ['a cloud, sigma 5', cloud(5, 97, 61, 300), 97, 61, 5, 'adaptive'],
    ['radius capped by a narrow photo, sigma 20', cloud(6, 40, 300, 120), 40, 300, 20, 0.3],
    ['a single column', [[0, 3], [0, 3], [0, 40]], 1, 50, 4, 'adaptive'],
    ['no fixations', [], 33, 20, 10, 'adaptive'],
    ['the corners (reflected borders)', [[0, 0], [63, 0], [0, 47], [63, 47], [63, 47]], 64, 48, 12, 0.5],
  ];
  for (const [what, points, width, height, sigma, threshold] of cases) {
    it(what, async () => {
      mapper ??= await AttentionMapper.create(await testGpu());
      const gpu = await mapper.compute(points, width, height, sigma, threshold);
      const reference = attentionMapReference(points, width, height, sigma, blurRadius(sigma, width, height));
      expectClose(gpu.attention, reference, 1e-4, `${what}: attention`);
      const { mask, threshold: t } = saliencyReference(reference, threshold);
      expect(gpu.threshold).toBeCloseTo(t, 5);
      // Pixels within float32 rounding of the threshold may fall either way.
      const disagree = Array.from(mask).filter((m, i) => m !== gpu.saliency[i] && Math.abs(reference[i] - t) > 1e-5);
      expect(disagree, `${what}: saliency`).toHaveLength(0);
      if (points.length === 0) expect(gpu.saliency.every((v) => v === 0)).toBe(true);
      else expect(Math.max(...gpu.attention)).toBeCloseTo(1, 6);
    });
  }
});

describe('maps made smaller than the photo (the page while a slider moves)', () => {
  let mapper: AttentionMapper;
  afterAll(() => mapper?.destroy());

  it('keep the same fixations and fixation box, and a saliency box close to the full-size one', async () => {
    mapper ??= await AttentionMapper.create(await testGpu());
    const points = cloud(9, 600, 400, 200);
    const settings = { ...defaultMapSettings, boxFrom: 'saliency' as const };
    const full = await makeMaps(mapper, points, 600, 400, settings);
    const small = await makeMaps(mapper, points, 600, 400, settings, 150);
    expect([full.width, full.height, small.width, small.height]).toEqual([600, 400, 150, 100]);
    expect([small.photoWidth, small.photoHeight]).toEqual([600, 400]);
    expect(small.kept).toEqual(full.kept);
    expect(small.removed).toEqual(full.removed);
    expect(small.fixationBox).toEqual(full.fixationBox);
    expect(small.attention).toHaveLength(150 * 100);
    expect(boxIoU(pixelBoxEdges(small.saliencyBox!), pixelBoxEdges(full.saliencyBox!))).toBeGreaterThan(0.8);
    expect(small.threshold).toBeCloseTo(full.threshold, 1);
    expect(mapSize(600, 400, 1000)).toEqual({ width: 600, height: 400 });
  });
});

describe('boxes', () => {
  it('around points, and IoU of edge boxes', () => {
    expect(boxAroundPoints([[3, 4], [10, 2], [5, 9]])).toEqual({ x0: 3, y0: 2, x1: 10, y1: 9 });
    expect(boxAroundPoints([])).toBeNull();
    expect(boxIoU({ x0: 0, y0: 0, x1: 10, y1: 10 }, { x0: 5, y0: 0, x1: 15, y1: 10 })).toBeCloseTo(50 / 150);
    expect(boxIoU({ x0: 0, y0: 0, x1: 10, y1: 10 }, { x0: 20, y0: 20, x1: 30, y1: 30 })).toBe(0);
  });

  it('the largest 8-connected region of a mask', () => {
    const mask = Uint8Array.from([
      1, 0, 0, 0, 0, 0,
      0, 1, 0, 0, 1, 1,
      0, 0, 1, 0, 1, 1,
      0, 0, 0, 0, 0, 0,
    ]);
    // The diagonal (3 pixels, joined only through corners) is smaller than the 2×2 square (4 pixels).
    expect(largestRegionBox(mask, 6, 4)).toEqual({ x0: 4, y0: 1, x1: 5, y1: 2 });
    mask[1 * 6 + 0] = 1; // the diagonal's region ties the square at 4: the first found in raster order wins
    expect(largestRegionBox(mask, 6, 4)).toEqual({ x0: 0, y0: 0, x1: 2, y1: 2 });
    mask[3 * 6 + 3] = 1; // touches the square's corner: one region of 9
    expect(largestRegionBox(mask, 6, 4)).toEqual({ x0: 0, y0: 0, x1: 5, y1: 3 });
    expect(largestRegionBox(new Uint8Array(6), 3, 2)).toBeNull();
  });
});

describe('saliency metrics on hand-made masks', () => {
  const truth = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  const predicted = Uint8Array.from([1, 1, 1, 0, 1, 0, 0, 0, 0, 0]);
  const attention = Float32Array.from([1, 0.8, 0.6, 0.4, 0.5, 0.1, 0, 0, 0, 0]);

  it('accuracy, precision, recall, F1, F(β²=0.3), IoU and MAE', () => {
    const s = saliencyScores(predicted, truth, attention);
    expect(s.accuracy).toBeCloseTo(8 / 10);
    expect(s.precision).toBeCloseTo(3 / 4);
    expect(s.recall).toBeCloseTo(3 / 4);
    expect(s.f1).toBeCloseTo(3 / 4);
    expect(s.fBeta).toBeCloseTo(3 / 4);
    expect(s.iou).toBeCloseTo(3 / 5);
    expect(s.mae).toBeCloseTo((0 + 0.2 + 0.4 + 0.6 + 0.5 + 0.1) / 10);
    expect(fMeasure(0.5, 1, 0.3)).toBeCloseTo((1.3 * 0.5) / (0.3 * 0.5 + 1));
  });

  it('nothing predicted scores zero, not NaN', () => {
    const s = saliencyScores(new Uint8Array(10), truth, new Float32Array(10));
    expect(s).toMatchObject({ precision: 0, recall: 0, f1: 0, fBeta: 0, iou: 0 });
    expect(s.accuracy).toBeCloseTo(0.6);
  });

  it('precision–recall sweep and max-F', () => {
    const curve = precisionRecallCurve(attention, truth, sweepThresholds);
    // At t = 0.55 the map keeps pixels 0, 1, 2: all true, three of four.
    const b = sweepThresholds.findIndex((t) => t >= 0.55);
    expect(curve.precision[b]).toBeCloseTo(1);
    expect(curve.recall[b]).toBeCloseTo(3 / 4);
    expect(curve.precision[0]).toBeCloseTo(4 / 10);
    const best = maxF([curve]);
    expect(best.f).toBeCloseTo(fMeasure(1, 3 / 4, 0.3));
    expect(best.threshold).toBeGreaterThan(0.4);
    expect(best.threshold).toBeLessThanOrEqual(0.6);
  });
});
