import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  areaUnderCurve,
  averageRanks,
  blurChw,
  energyPointingGame,
  perturbedInputs,
  pixelOrder,
  pixelsAfterStep,
  pointingGame,
  riseBlurTaps,
  spearman,
} from '../src/postprocess/faithfulness-metrics.ts';
import { cascadeLayers, evaluateFaithfulness, randomiseTopLayers, readFaithfulnessLabels } from '../src/eval/faithfulness.ts';
import { Explainer } from '../src/explain/explain.ts';
import { centreMap, inputMapToPhoto, methodMap, MethodUnavailableError, parseMethods, photoMapToInput, resizeBilinearCentres, seedOf } from '../src/explain/methods.ts';
import { probabilities } from '../src/explain/predictions.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { resampleGeometry, unitRgbPreprocess } from '../src/model/preprocess.ts';
import { chain } from '../src/graph/model.ts';
import { gapHeadAsDense } from '../src/graph/gap-dense-head.ts';
import { AttentionMapper } from '../src/postprocess/attention-mapper.ts';
import { defaultMapSettings } from '../src/postprocess/settings.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import { testGpu } from './helpers/gpu.ts';
import { darknetLikeArchitecture, smallArchitectures } from './helpers/nets.ts';
import { describeWithSharedData } from './helpers/shared-data.ts';
import { writeDarknet } from './helpers/writers.ts';

describe('the metrics on maps that can be checked by hand', () => {
  // A 4×4 photo with one box over the 2×2 block at x 1…2, y 0…1 (edges x0 1, x1 3, y0 0, y1 2).
  const box = [{ x0: 1, y0: 0, x1: 3, y1: 2 }];
  const truth = Float32Array.from({ length: 16 }, (_, i) => (i % 4 >= 1 && i % 4 <= 2 && i < 8 ? 1 : 0));

  it('pointing game: the ground truth hits, its inverse misses, ties count the share of maxima inside', () => {
    expect(pointingGame(truth, 4, 4, box)).toBe(1);
    expect(pointingGame(truth.map((v) => 1 - v), 4, 4, box)).toBe(0);
    // Flat map: every pixel is a maximum, 4 of 16 inside.
    expect(pointingGame(new Float32Array(16).fill(0.3), 4, 4, box)).toBe(0.25);
    // Two maxima, one inside.
    const two = new Float32Array(16);
    two[1] = 1;
    two[15] = 1;
    expect(pointingGame(two, 4, 4, box)).toBe(0.5);
    expect(pointingGame(truth, 4, 4, [])).toBeNull();
  });

  it('energy pointing game: the share of the map inside the boxes', () => {
    expect(energyPointingGame(truth, 4, 4, box)).toBe(1);
    expect(energyPointingGame(truth.map((v) => 1 - v), 4, 4, box)).toBe(0);
    expect(energyPointingGame(new Float32Array(16).fill(1), 4, 4, box)).toBe(0.25);
    const weighted = new Float32Array(16);
    weighted[1] = 3; // inside
    weighted[12] = 1; // outside
    expect(energyPointingGame(weighted, 4, 4, box)).toBe(0.75);
    expect(energyPointingGame(new Float32Array(16), 4, 4, box)).toBe(0);
  });

  it('Spearman: Wikipedia\'s IQ and television example (ρ = −29/165), ties by average ranks, constant is NaN', () => {
    const iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110];
    const tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17];
    expect(spearman(iq, tv)).toBeCloseTo(-29 / 165, 12);
    expect(spearman(iq, iq)).toBeCloseTo(1, 12);
    expect(spearman(iq, iq.map((v) => -v))).toBeCloseTo(-1, 12);
    expect(Array.from(averageRanks([5, 6, 7, 8, 7]))).toEqual([1, 2, 3.5, 5, 3.5]);
    // ranks 1 2 3 4 5 against 1 2 3.5 5 3.5: Σdd = 8, Σd² = 10 and 9.5.
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 12);
    expect(spearman([1, 2, 3], [4, 4, 4])).toBeNaN();
  });

  it('area under the curve: trapezoids over 0 … 1', () => {
    expect(areaUnderCurve([1, 0.5, 0])).toBe(0.5);
    expect(areaUnderCurve([1, 1, 1, 1])).toBe(1);
    expect(areaUnderCurve([0, 1])).toBe(0.5);
    expect(areaUnderCurve([0, 1, 1, 1, 1])).toBeCloseTo(0.875, 12);
    expect(() => areaUnderCurve([1])).toThrow(/two points/);
  });

  it('pixel order: highest first, ties in a seeded order that is not raster order', () => {
    const order = pixelOrder([0, 2, 1, 2], 7);
    expect(new Set(order.slice(0, 2))).toEqual(new Set([1, 3]));
    expect(Array.from(order.slice(2))).toEqual([2, 0]);
    const flat = Array.from(pixelOrder(new Float32Array(64), 3));
    expect([...flat].sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(flat).not.toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(Array.from(pixelOrder(new Float32Array(64), 3))).toEqual(flat);
    expect([pixelsAfterStep(0, 3, 10), pixelsAfterStep(1, 3, 10), pixelsAfterStep(2, 3, 10), pixelsAfterStep(3, 3, 10)]).toEqual([0, 4, 8, 10]);
  });

  it('deletion and insertion inputs: the first pixels of the order swapped, every channel', () => {
    const shape = { channels: 2, height: 2, width: 2 };
    const original = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const blurred = new Float32Array(8).fill(0);
    const order = Uint32Array.from([3, 0, 1, 2]);
    const deletion = perturbedInputs(original, blurred, shape, order, 4, 'deletion');
    expect(deletion.map((t) => Array.from(t))).toEqual([
      [1, 2, 3, 0, 5, 6, 7, 0],
      [0, 2, 3, 0, 0, 6, 7, 0],
      [0, 0, 3, 0, 0, 0, 7, 0],
    ]);
    const insertion = perturbedInputs(original, blurred, shape, order, 4, 'insertion');
    expect(insertion.map((t) => Array.from(t))).toEqual([
      [0, 0, 0, 4, 0, 0, 0, 8],
      [1, 0, 0, 4, 5, 0, 0, 8],
      [1, 2, 0, 4, 5, 6, 0, 8],
    ]);
  });

  it('RISE blur: 11 symmetric taps summing to 1, nearly flat (σ 5 on 11 taps); a flat interior stays flat', () => {
    const taps = riseBlurTaps();
    expect(taps).toHaveLength(11);
    expect(taps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let i = 0; i < 11; i++) expect(taps[i]).toBeCloseTo(taps[10 - i], 12);
    expect(taps[5]).toBeGreaterThan(taps[0]);
    expect(taps[0] / taps[5]).toBeGreaterThan(0.5);
    const shape = { channels: 1, height: 20, width: 20 };
    const blurred = blurChw(new Float32Array(400).fill(2), shape);
    expect(blurred[10 * 20 + 10]).toBeCloseTo(2, 5);
    expect(blurred[0]).toBeLessThan(2); // zero padding at the border, as RISE's conv2d
  });
});

describe('map resampling', () => {
  it('cv2-style bilinear upsampling aligns cell centres and clamps at the edges', () => {
    // 2 cells → 4 pixels: positions −0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
    expect(Array.from(resizeBilinearCentres([0, 1], 2, 1, 4, 1))).toEqual([0, 0.25, 0.75, 1]);
    expect(Array.from(resizeBilinearCentres([5], 1, 1, 3, 2))).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('through a letterbox: photo maps land in the content, fill is −1, and a round trip keeps a smooth map', () => {
    const pre = { width: 8, height: 8, resize: 'letterbox', cropFraction: 1, resizeFilter: 'bilinear', letterboxFill: 0.5, scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: 'rgb' } as const;
    const geometry = resampleGeometry(pre, 16, 8); // content rows 2 … 5
    const photo = Float32Array.from({ length: 16 * 8 }, (_, i) => (i % 16) / 15);
    const input = photoMapToInput(photo, 16, 8, geometry, 8, 8);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(input[y * 8 + x] === -1).toBe(y < 2 || y >= 6);
    expect(input[2 * 8]).toBe(0);
    expect(input[2 * 8 + 7]).toBe(1);
    const back = inputMapToPhoto(input, 8, 8, geometry, 16, 8);
    expect(back.every((v) => v >= 0)).toBe(true); // the letterbox is never read
    for (let x = 1; x < 16; x++) expect(back[4 * 16 + x]).toBeGreaterThanOrEqual(back[4 * 16 + x - 1]);
  });

  it('the centre baseline peaks at the centre; method names parse', () => {
    const map = centreMap(9, 5);
    expect(map[2 * 9 + 4]).toBe(1);
    expect(map[0]).toBeCloseTo(Math.exp(-(((4 / 2.25) ** 2 + (2 / 1.25) ** 2) / 2)), 6);
    expect(parseMethods('all').map((m) => m.kind)).toEqual(['fixations', 'fixations', 'gradcam', 'cam', 'centre', 'random']);
    expect(parseMethods('fixations,centre', 'official')).toEqual([{ kind: 'fixations', rule: 'official' }, { kind: 'centre', rule: 'official' }]);
    expect(() => parseMethods('gradcam,saliency')).toThrow(/unknown method "saliency"/);
    expect(seedOf('a.jpg')).toBe(seedOf('a.jpg'));
    expect(seedOf('a.jpg')).not.toBe(seedOf('b.jpg'));
  });
});

const scratch = mkdtempSync(join(tmpdir(), 'fixations-faith-'));
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/** Two seeded 24×20 photos, a labels.csv with boxes, and a darknet-like model of 10 classes written as cfg + weights. */
async function tinyFixture() {
  const images = join(scratch, 'images');
  const random = seededRandom(5);
  const files = ['a.png', 'b.png'];
  await import('node:fs').then((fs) => fs.mkdirSync(images, { recursive: true }));
  for (const f of files) {
    const data = Buffer.from(Array.from({ length: 24 * 20 * 3 }, () => Math.floor(random() * 256)));
    await sharp(data, { raw: { width: 24, height: 20, channels: 3 } }).png().toFile(join(images, f));
  }
  const labels = join(scratch, 'labels.csv');
  writeFileSync(labels, ['file,class,wnid,orig_width,orig_height,boxes_227', 'a.png,0,n0,24,20,2 3 12 15', 'b.png,1,n1,24,20,10 0 24 20;0 0 4 4', ''].join('\n'));
  const model = randomModel(darknetLikeArchitecture(6, 10), 11);
  const { cfg, weights } = writeDarknet(model);
  writeFileSync(join(scratch, 'tiny.cfg'), cfg);
  writeFileSync(join(scratch, 'tiny.weights'), weights);
  return { images, labels, files, cfg: join(scratch, 'tiny.cfg') };
}

describe('eval faithfulness on a tiny seeded model', () => {
  it('deletion and insertion curves equal a CPU-reference computation of the same protocol', async () => {
    const fixture = await tinyFixture();
    const { loadModelFile } = await import('../src/weights/load-model-node.ts');
    const model = await loadModelFile(fixture.cfg);
    const context = await testGpu();
    const explainer = await Explainer.create(context, model);
    const mapper = await AttentionMapper.create(context);
    cleanups.push(() => (mapper.destroy(), explainer.destroy()));
    const steps = 5;
    const result = await evaluateFaithfulness(explainer, mapper, {
      images: fixture.images,
      entries: readFaithfulnessLabels(fixture.labels, null),
      methods: parseMethods('fixations-hysm,gradcam,cam,centre,random'),
      dropUnavailable: false,
      settings: { ...defaultMapSettings, sigma: 3 },
      steps,
      target: 'top-1',
      sanityPhotos: 1,
      seed: 3,
      keepPhotos: 2,
    });
    expect(result.failed).toEqual([]);
    expect(result.photos).toHaveLength(2);
    const { decodeImageFile } = await import('../src/image/decode-node.ts');
    for (const kept of result.kept) {
      const photo = await decodeImageFile(join(fixture.images, kept.file));
      const input = preprocessReference(photo, model.preprocess);
      const plane = model.input.width * model.input.height;
      const blurred = blurChw(input, model.input);
      const score = (x: Float32Array) => probabilities(forwardReference(model, x).get(model.output)!, true);
      const target = result.photos.find((p) => p.file === kept.file)!.target;
      expect(target).toBe(Array.from(score(input)).indexOf(Math.max(...score(input))));
      for (const map of kept.maps) {
        const order = pixelOrder(map.input, seedOf(kept.file));
        const curve = (mode: 'deletion' | 'insertion') =>
          Array.from({ length: steps + 1 }, (_, k) => {
            const changed = Math.min(plane, k * Math.ceil(plane / steps));
            const x = Float32Array.from(mode === 'deletion' ? input : blurred);
            for (let j = 0; j < changed; j++) for (let c = 0; c < 3; c++) x[c * plane + order[j]] = (mode === 'deletion' ? blurred : input)[c * plane + order[j]];
            return score(x)[target];
          });
        const got = result.photos.find((p) => p.file === kept.file)!.methods[map.method];
        for (const mode of ['deletion', 'insertion'] as const) {
          const want = curve(mode);
          got[mode].forEach((v, k) => expect(v, `${map.method} ${mode} step ${k}`).toBeCloseTo(want[k], 5));
          const auc = want.slice(1).reduce((s, v, k) => s + (v + want[k]) / 2 / steps, 0);
          expect(mode === 'deletion' ? got.deletionAuc : got.insertionAuc).toBeCloseTo(auc, 5);
        }
      }
    }
    // Boxes: both photos have them; the pointing games are shares.
    for (const m of Object.values(result.methods)) {
      expect(m.pointingGame).toBeGreaterThanOrEqual(0);
      expect(m.pointingGame).toBeLessThanOrEqual(1);
      expect(m.deletionCurve).toHaveLength(steps + 1);
    }
    // The sanity check: one step per weighted layer, top down; the centre does not depend on the weights.
    expect(result.sanityLayers).toEqual(['conv2', 'conv1']);
    expect(result.methods.centre.sanity).toEqual({ conv2: 1, conv1: 1 });
    expect(Object.keys(result.methods)).toEqual(['fixations-hysm', 'gradcam', 'cam', 'centre', 'random']);
  });

  it('cam on a head that is not GAP → linear: an error naming the model; Grad-CAM still applies', async () => {
    const context = await testGpu();
    const model = randomModel(smallArchitectures()[0], 4); // flatten → dense → dense head
    const explainer = await Explainer.create(context, model);
    const mapper = await AttentionMapper.create(context);
    cleanups.push(() => (mapper.destroy(), explainer.destroy()));
    const photo = { width: 23, height: 19, data: new Uint8ClampedArray(23 * 19 * 4).fill(128) };
    const state = await explainer.forward(photo);
    const inputs = { explainer, mapper, settings: defaultMapSettings, state, photo, target: 0, seed: 1 };
    await expect(methodMap({ kind: 'cam', rule: 'hysm' }, inputs)).rejects.toThrow(new RegExp(`^${model.name}: CAM needs a head`));
    await expect(methodMap({ kind: 'cam', rule: 'hysm' }, inputs)).rejects.toBeInstanceOf(MethodUnavailableError);
    const gradcam = await methodMap({ kind: 'gradcam', rule: 'hysm' }, inputs);
    expect(gradcam.photo).toHaveLength(23 * 19);
    expect(Math.max(...gradcam.photo)).toBeLessThanOrEqual(1);
  });

  it('cascading randomization re-initialises the top k weighted layers only, the same way for the same seed', () => {
    const model = randomModel(darknetLikeArchitecture(6, 10), 11);
    expect(cascadeLayers(model)).toEqual(['conv2', 'conv1']);
    const one = randomiseTopLayers(model, 1, 9);
    const weightsOf = (m: typeof model, name: string) => Array.from((m.nodes.find((n) => n.name === name) as { weight: Float32Array }).weight);
    expect(weightsOf(one, 'conv1')).toEqual(weightsOf(model, 'conv1'));
    expect(weightsOf(one, 'conv2')).not.toEqual(weightsOf(model, 'conv2'));
    expect(weightsOf(randomiseTopLayers(model, 2, 9), 'conv2')).toEqual(weightsOf(one, 'conv2'));
    expect(weightsOf(randomiseTopLayers(model, 2, 9), 'conv1')).not.toEqual(weightsOf(model, 'conv1'));
    // The GAP → dense form of the same model draws the same random weights (seeded by layer name, same weight order).
    const dense = gapHeadAsDense(model)!;
    expect(dense.nodes.find((n) => n.name === 'conv2')!.kind).toBe('dense');
    expect(weightsOf(randomiseTopLayers(dense, 2, 9), 'conv2')).toEqual(weightsOf(randomiseTopLayers(model, 2, 9), 'conv2'));
  });
});

const run = promisify(execFile);
const cli = new URL('../bin/fixations.js', import.meta.url).pathname;
async function fixations(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the eval faithfulness command', () => {
  it('on 2 photos: the table, the JSON shape and PNGs that decode', async () => {
    const fixture = await tinyFixture();
    const json = join(scratch, 'faith.json');
    const plots = join(scratch, 'plots');
    const { code, stdout, stderr } = await fixations(
      'eval', 'faithfulness', '--model', fixture.cfg, '--images', fixture.images, '--labels', fixture.labels,
      '--methods', 'fixations-hysm,fixations-official,centre,random', '--steps', '4', '--sanity-photos', '1', '--sigma', '3',
      '--json', json, '--plots', plots, '--panels', '1',
    );
    expect(stderr).not.toMatch(/Error|at .*\.ts:/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\| fixations-official \| \d\.\d{3} \| \d\.\d{3} \|/);
    expect(stderr).toMatch(/forwards\/s/);
    const written = JSON.parse(readFileSync(json, 'utf8'));
    expect(written.photos).toBe(2);
    expect(written.parameters).toMatchObject({ steps: 4, model: expect.any(String) });
    expect(Object.keys(written.methods)).toEqual(['fixations-hysm', 'fixations-official', 'centre', 'random']);
    for (const m of Object.values(written.methods) as Record<string, unknown>[]) {
      expect(m).toMatchObject({ deletionAuc: expect.any(Number), insertionAuc: expect.any(Number), pointingGame: expect.any(Number), energyPointingGame: expect.any(Number) });
      expect(Object.keys(m.sanity as object)).toEqual(['conv2', 'conv1']);
    }
    expect(written.throughput.forwardsPerSecond).toBeGreaterThan(0);
    const pngs = readdirSync(plots).sort();
    expect(pngs).toEqual(['deletion.png', 'insertion.png', 'panel-a.png.png', 'sanity.png']);
    for (const f of pngs) {
      const meta = await sharp(join(plots, f)).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(100);
    }
  }, 120_000);

  it('bad input: one line naming what to fix, exit 1', async () => {
    const fixture = await tinyFixture();
    const base = ['eval', 'faithfulness', '--model', fixture.cfg, '--images', fixture.images, '--labels', fixture.labels];
    const cases: [string[], RegExp][] = [
      [['eval', 'faithfulness', '--model', fixture.cfg, '--images', join(scratch, 'nope'), '--labels', fixture.labels], /--images .*nope does not exist/],
      [['eval', 'faithfulness', '--model', fixture.cfg, '--images', fixture.images, '--labels', fixture.images], /--labels .* is a folder; give a file/],
      [[...base, '--methods', 'gradcam,bogus'], /--methods: unknown method "bogus"/],
      [[...base, '--plots', fixture.labels], /--plots .* is a file, not a folder/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await fixations(...args);
      expect(code, args.join(' ')).toBe(1);
      expect(stderr.trim().split('\n').filter((l) => l.startsWith('error')).length).toBe(1);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/at .*\.ts:\d+/);
    }
    const badLabels = join(scratch, 'bad.csv');
    writeFileSync(badLabels, 'name,label\nx.png,1\n');
    const { code, stderr } = await fixations('eval', 'faithfulness', '--model', fixture.cfg, '--images', fixture.images, '--labels', badLabels);
    expect(code).toBe(1);
    expect(stderr).toMatch(/bad\.csv: expected a header starting file,class/);
  }, 120_000);
});

/** A conv → max-pool → flatten → dense model written as TensorFlow.js: a head that is neither CAM's nor --gap-head's. */
async function denseHeadTfjs(): Promise<string> {
  const dense = randomModel(
    {
      name: 'dense-head',
      input: { channels: 3, height: 8, width: 8 },
      preprocess: unitRgbPreprocess(8, 8),
      ...chain([
        { kind: 'conv2d', name: 'c1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 4, activation: 'relu' },
        { kind: 'maxpool', name: 'p1', size: 2, stride: 2 },
        { kind: 'flatten', name: 'flat' },
        { kind: 'dense', name: 'd1', inFeatures: 4 * 4 * 4, outFeatures: 5, activation: 'linear' },
        { kind: 'softmax', name: 'prob' },
      ]),
    },
    4,
  );
  const { writeTfjs } = await import('./helpers/writers.ts');
  const { modelJson, shards } = writeTfjs(dense);
  const tfjs = join(scratch, 'tfjs');
  await import('node:fs').then((fs) => fs.mkdirSync(tfjs, { recursive: true }));
  writeFileSync(join(tfjs, 'model.json'), modelJson);
  for (const [name, data] of shards) writeFileSync(join(tfjs, name), data);
  return tfjs;
}

describe('--method in explain, explain --out, eval saliency and eval localization', () => {
  it('makes each method\'s maps: rows per method, a CAM JSON, Grad-CAM pictures; a refused method names the model', async () => {
    const fixture = await tinyFixture();
    const masks = join(scratch, 'masks');
    await import('node:fs').then((fs) => fs.mkdirSync(masks, { recursive: true }));
    for (const f of fixture.files) {
      const mask = Buffer.from(Array.from({ length: 24 * 20 }, (_, i) => (i % 24 >= 6 && i % 24 < 18 ? 255 : 0)));
      await sharp(mask, { raw: { width: 24, height: 20, channels: 1 } }).png().toFile(join(masks, f));
    }
    const wnids = join(scratch, 'wnids.txt');
    writeFileSync(wnids, Array.from({ length: 10 }, (_, i) => `n${i}`).join('\n'));
    const model = ['--model', fixture.cfg, '--sigma', '3'];
    const [saliency, localization, camJson, out] = await Promise.all([
      fixations('eval', 'saliency', ...model, '--images', fixture.images, '--masks', masks, '--method', 'fixations,centre,gradcam'),
      fixations('eval', 'localization', ...model, '--images', fixture.images, '--labels', fixture.labels, '--wnids', wnids, '--method', 'all'),
      fixations('explain', fixture.images + '/a.png', ...model, '--method', 'cam', '--json', join(scratch, 'cam.json')),
      fixations('explain', fixture.images, ...model, '--method', 'gradcam', '--out', join(scratch, 'out')),
    ]);
    expect(saliency.code, saliency.stderr).toBe(0);
    expect(saliency.stdout).toMatch(/\| fixations-hysm \| 2 \|[^\n]*\n\| centre \| 2 \|[^\n]*\n\| gradcam \| 2 \|/);
    expect(localization.code, localization.stderr).toBe(0);
    for (const m of ['fixations-hysm', 'fixations-official', 'gradcam', 'cam', 'centre', 'random']) expect(localization.stdout).toMatch(new RegExp(`\\| ${m} \\| 2 \\|`));
    expect(camJson.code, camJson.stderr).toBe(0);
    const cam = JSON.parse(readFileSync(join(scratch, 'cam.json'), 'utf8'));
    expect(cam).toMatchObject({ method: 'cam', layer: 'pool1', map: { width: 24, height: 20 } });
    expect(Math.max(...cam.map.values)).toBe(1);
    expect(out.code, out.stderr).toBe(0);
    expect(readdirSync(join(scratch, 'out')).sort()).toEqual(['a.png.box.png', 'a.png.heatmap.png', 'a.png.json', 'a.png.saliency.png', 'b.png.box.png', 'b.png.heatmap.png', 'b.png.json', 'b.png.saliency.png', 'summary.json']);
    expect(JSON.parse(readFileSync(join(scratch, 'out', 'a.png.json'), 'utf8'))).toMatchObject({ method: 'gradcam', run: { method: 'gradcam' } });
    // A model whose head is flatten → dense → dense has no CAM.
    const tfjs = await denseHeadTfjs();
    const refused = await fixations('explain', fixture.images + '/a.png', '--model', join(tfjs, 'model.json'), '--method', 'cam');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*: CAM needs a head "spatial tensor → global average pool/m);
    expect(refused.stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 180_000);
});

describe('--gap-head', () => {
  it('dense rewrites a linear 1×1 conv → GAP head into GAP → dense with the same scores; a model without one is refused', async () => {
    const fixture = await tinyFixture();
    const { loadModelFromOptions } = await import('../src/cli/session.ts');
    const conv = await loadModelFromOptions({ model: fixture.cfg, gapHead: 'conv' });
    const dense = await loadModelFromOptions({ model: fixture.cfg, gapHead: 'dense' });
    expect(conv.nodes.map((n) => n.kind)).toEqual(['conv2d', 'maxpool', 'conv2d', 'globalAvgPool', 'softmax']);
    expect(dense.nodes.map((n) => n.kind)).toContain('dense');
    const input = Float32Array.from({ length: 3 * 16 * 16 }, (_, i) => ((i * 37) % 101) / 101);
    const a = forwardReference(conv, input).get(conv.output)!;
    const b = forwardReference(dense, input).get(dense.output)!;
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
    const tfjs = await denseHeadTfjs();
    await expect(loadModelFromOptions({ model: join(tfjs, 'model.json'), gapHead: 'dense' })).rejects.toThrow(/--gap-head dense: .*model\.json has no linear 1×1 convolution → global average pool head/);
  });
});

describeWithSharedData('eval faithfulness on the ResNet-20 labels', 'resnet20-cifar10', (dir) => {
  it('reads file,class,name labels: classes as given, no boxes', () => {
    const entries = readFaithfulnessLabels(`${dir}/labels.csv`, null);
    expect(entries.length).toBeGreaterThan(10);
    expect(entries[0]).toEqual({ file: expect.stringMatching(/\.JPEG$/), trueClass: expect.any(Number), boxes: [] });
  });
});
