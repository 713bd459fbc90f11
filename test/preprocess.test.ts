import { afterAll, describe, expect, it } from 'vitest';
import { createGpuTensor } from '../src/gpu/tensor.ts';
import { paddedHwcToChw } from '../src/gpu/tensor.ts';
import { gpuStep } from '../src/gpu/context.ts';
import { readFloats } from '../src/gpu/buffers.ts';
import type { RgbaImage } from '../src/image/rgba-image.ts';
import { PreprocessOp } from '../src/kernels/preprocess.ts';
import { caffePreprocess, darknetPreprocess, modelPixelToImage, resampleGeometry, torchvisionPreprocess, unitRgbPreprocess, type Preprocess } from '../src/model/preprocess.ts';
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
    ['torchvision center-crop', { ...torchvisionPreprocess, width: 29, height: 31 }],
    ['caffe BGR center-crop', { ...caffePreprocess, width: 30, height: 30 }],
    ['darknet letterbox', darknetPreprocess(33, 27)],
    ['plain resize', unitRgbPreprocess(25, 19)],
  ];
  const photos: [string, RgbaImage][] = [
    ['shrunk (301×157)', randomPhoto(301, 157, 1)],
    ['enlarged (13×17)', randomPhoto(13, 17, 2)],
    ['tall (40×203)', randomPhoto(40, 203, 3)],
  ];
  for (const [recipe, pre] of recipes) {
    for (const [what, photo] of photos) {
      it(`${recipe}, ${what}`, async () => {
        expectClose(await gpuPreprocess(photo, pre), preprocessReference(photo, pre), 1e-4, `${recipe} ${what}`);
      });
    }
  }
});

describe('preprocessing geometry', () => {
  it('letterboxes like darknet and maps border pixels to no photo pixel', () => {
    const g = resampleGeometry(darknetPreprocess(224, 224), 768, 576);
    expect(g.content).toEqual({ x: 0, y: 28, width: 224, height: 168 });
    expect(modelPixelToImage(g, 10, 5)).toBeNull();
    expect(modelPixelToImage(g, 0, 28)).toEqual([1, 1]);
    expect(modelPixelToImage(g, 223, 195)).toEqual([766, 574]);
  });

  it('center-crops the central 224/256 of the shorter side', () => {
    const g = resampleGeometry(torchvisionPreprocess, 512, 256);
    expect(g.source).toEqual({ x: 144, y: 16, width: 224, height: 224 });
    expect(modelPixelToImage(g, 0, 0)).toEqual([144, 16]);
    expect(modelPixelToImage(g, 223, 223)).toEqual([367, 239]);
  });
});
