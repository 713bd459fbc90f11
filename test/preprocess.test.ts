import { afterAll, describe, expect, it } from 'vitest';
import { createGpuTensor } from '../src/gpu/tensor.ts';
import { paddedHwcToChw } from '../src/gpu/tensor.ts';
import { gpuStep } from '../src/gpu/context.ts';
import { readFloats } from '../src/gpu/buffers.ts';
import type { RgbaImage } from '../src/image/rgba-image.ts';
import { PreprocessOp } from '../src/kernels/preprocess.ts';
import {
  caffePreprocess,
  cnnExplainerPreprocess,
  darknetPreprocess,
  modelPixelToImage,
  originResizeFilter,
  resampleGeometry,
  resizeFilters,
  torchvisionPreprocess,
  unitRgbPreprocess,
  type Preprocess,
} from '../src/model/preprocess.ts';
import { resizeTaps } from '../src/model/resize-taps.ts';
import { seededRandom } from '../src/graph/random-model.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';

function randomPhoto(width: number, height: number, seed: number): RgbaImage {
  const random = seededRandom(seed);
  const data = new Uint8Array(width * height * 4);
  // Smooth gradients plus noise: resampling errors show on both.
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 4; c++) data[(y * width + x) * 4 + c] = Math.min(255, Math.floor(((x * (c + 1) + y * 3) % 200) + random() * 55));
  return { width, height, data };
}

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

async function gpuPreprocess(photo: RgbaImage, pre: Preprocess): Promise<Float32Array> {
  const context = await testGpu();
  const shape = { channels: 3, height: pre.height, width: pre.width };
  const output = createGpuTensor(context, 'input', shape);
  const op = await PreprocessOp.create(context, pre, output);
  cleanups.push(() => (op.destroy(), output.buffer.destroy()));
  op.upload(photo);
  await gpuStep(context, 'preprocess test', () => {
    const encoder = context.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    op.encode(pass);
    pass.end();
    context.device.queue.submit([encoder.finish()]);
  });
  return paddedHwcToChw(await readFloats(context, 'preprocess', output.buffer, output.buffer.size / 4), shape);
}

describe('GPU preprocessing equals the CPU reference', () => {
  const recipes: [string, Preprocess][] = [
    ['torchvision center-crop (PIL antialiased)', { ...torchvisionPreprocess, width: 29, height: 31 }],
    ['Keras stretch (PIL nearest), BGR', { ...caffePreprocess, width: 30, height: 30 }],
    ['darknet letterbox (darknet bilinear)', darknetPreprocess(33, 27)],
    ['CNN Explainer crop (bilinear at centres)', cnnExplainerPreprocess(25, 19)],
    ['plain resize (antialiased)', unitRgbPreprocess(25, 19)],
    ...resizeFilters.map((filter): [string, Preprocess] => [`letterbox, ${filter}`, { ...darknetPreprocess(21, 23), resizeFilter: filter }]),
    ...resizeFilters.map((filter): [string, Preprocess] => [`center-crop, ${filter}`, { ...torchvisionPreprocess, width: 17, height: 17, resizeFilter: filter }]),
  ];
  const photos: [string, RgbaImage][] = [
    ['shrunk (301×157)', randomPhoto(301, 157, 1)],
    ['enlarged (13×17)', randomPhoto(13, 17, 2)],
    ['tall (40×203)', randomPhoto(40, 203, 3)],
  ];
  for (const [recipe, pre] of recipes) {
    for (const [what, photo] of photos) {
      it(`${recipe}, ${what}`, async () => {
        // 8-bit filters (PIL's) agree to the bit; darknet's float32 arithmetic and the centred bilinear to rounding.
        expectClose(await gpuPreprocess(photo, pre), preprocessReference(photo, pre), 1e-5, `${recipe} ${what}`);
      });
    }
  }

  it('takes the tap tables of another geometry and filter on the next photo (and keeps them for the same one)', async () => {
    const context = await testGpu();
    const pre = { ...torchvisionPreprocess, width: 16, height: 16 };
    const shape = { channels: 3, height: 16, width: 16 };
    const output = createGpuTensor(context, 'input', shape);
    const op = await PreprocessOp.create(context, pre, output);
    cleanups.push(() => (op.destroy(), output.buffer.destroy()));
    const run = async (photo: RgbaImage) => {
      op.upload(photo);
      await gpuStep(context, 'preprocess test', () => {
        const encoder = context.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        op.encode(pass);
        pass.end();
        context.device.queue.submit([encoder.finish()]);
      });
      return paddedHwcToChw(await readFloats(context, 'preprocess', output.buffer, output.buffer.size / 4), shape);
    };
    const a = randomPhoto(90, 70, 4);
    const b = randomPhoto(50, 81, 5);
    expectClose(await run(a), preprocessReference(a, pre), 1e-5, 'first photo');
    expectClose(await run(b), preprocessReference(b, pre), 1e-5, 'another size');
    const nearest = { ...pre, resizeFilter: 'nearest' as const };
    op.setPreprocess(nearest);
    expectClose(await run(b), preprocessReference(b, nearest), 1e-5, 'another filter');
    expect(() => op.setPreprocess({ ...pre, width: 17 })).toThrow(/17×16/);
  });
});

describe('preprocessing geometry', () => {
  it('letterboxes like darknet and maps border pixels to no photo pixel', () => {
    const g = resampleGeometry(darknetPreprocess(224, 224), 768, 576);
    expect(g.content).toEqual({ x: 0, y: 28, width: 224, height: 168 });
    expect(modelPixelToImage(g, 10, 5)).toBeNull();
    expect(modelPixelToImage(g, 0, 28)).toEqual([1, 1]);
    expect(modelPixelToImage(g, 223, 195)).toEqual([766, 574]);
  });

  it('resizes the shorter side to 256 and crops the centre 224, with torchvision\'s integer sizes and rounding', () => {
    const g = resampleGeometry(torchvisionPreprocess, 512, 256);
    expect(g.resized).toEqual({ x: 144, y: 16, width: 512, height: 256 });
    expect(g.source).toEqual({ x: 144, y: 16, width: 224, height: 224 });
    expect(modelPixelToImage(g, 0, 0)).toEqual([144, 16]);
    expect(modelPixelToImage(g, 223, 223)).toEqual([367, 239]);
    // 500×375 → 341×256 (int(256·500/375) = 341); (341 − 224)/2 = 58.5 rounds to even: 58.
    expect(resampleGeometry(torchvisionPreprocess, 500, 375).resized).toEqual({ x: 58, y: 16, width: 341, height: 256 });
    // 333×500 → 256×384; (256 − 224)/2 = 16, (384 − 224)/2 = 80.
    expect(resampleGeometry(torchvisionPreprocess, 333, 500).resized).toEqual({ x: 16, y: 80, width: 256, height: 384 });
  });

  it('crops as CNN Explainer\'s canvas does, and stretches photos no larger than the input', () => {
    const pre = cnnExplainerPreprocess(64, 64);
    expect(resampleGeometry(pre, 100, 80).resized).toEqual({ x: 8, y: 0, width: 81, height: 65 });
    expect(resampleGeometry(pre, 64, 64)).toMatchObject({ content: { x: 0, y: 0, width: 64, height: 64 }, source: { x: 0, y: 0, width: 64, height: 64 } });
  });

  it('gives recipes stored without a resize filter their origin\'s filter', () => {
    const strip = ({ resizeFilter: _, ...rest }: Preprocess) => rest;
    expect(originResizeFilter(strip(darknetPreprocess(224, 224)))).toBe('bilinear');
    expect(originResizeFilter(strip(torchvisionPreprocess))).toBe('antialiased-bilinear');
    expect(originResizeFilter(strip({ ...caffePreprocess, resize: 'center-crop' }))).toBe('nearest');
    expect(originResizeFilter(strip(cnnExplainerPreprocess(64, 64)))).toBe('bilinear-centres');
  });
});

describe('resize tap tables', () => {
  it('are darknet\'s resize_image, float32 quirks included', () => {
    // 768×576 letterboxed to 224×168: scale (float)(576 − 1)/(168 − 1); the last row keeps only its (1 − dy) term.
    const g = resampleGeometry(darknetPreprocess(224, 224), 768, 576);
    const { x, y } = resizeTaps(g, 'bilinear');
    expect([x.ranges[0], x.ranges[1], x.weights[0]]).toEqual([0, 2, 1]);
    expect([x.ranges[2 * 223], x.ranges[2 * 223 + 1], x.weights[223 * x.width]]).toEqual([767, 1, 1]);
    const sy = Math.fround(167 * Math.fround(575 / 167));
    expect(y.ranges[2 * 167]).toBe(Math.trunc(sy));
    expect(y.ranges[2 * 167 + 1]).toBe(1);
    expect(y.weights[167 * y.width]).toBe(Math.fround(1 - Math.fround(sy - Math.trunc(sy))));
  });

  it('are PIL\'s fixed-point bilinear weights, summing to 2^22 per pixel', () => {
    const taps = resizeTaps(resampleGeometry(torchvisionPreprocess, 1024, 683), 'antialiased-bilinear');
    expect(taps.fixedPoint).toBe(true);
    for (let t = 0; t < taps.x.count; t++) {
      let sum = 0;
      for (let k = 0; k < taps.x.ranges[2 * t + 1]; k++) sum += taps.x.weights[t * taps.x.width + k];
      expect(Math.abs(sum - 2 ** 22)).toBeLessThanOrEqual(taps.x.ranges[2 * t + 1]);
    }
  });
});
