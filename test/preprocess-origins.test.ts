/**
 * Our preprocessing against the origins' own tools: darknet's `classifier predict` (Debian's `darknet`) on Tiny
 * Darknet, torchvision's transforms and PIL (Debian's `python3-torchvision`, `python3-pil`) on the VGG recipes. The
 * photos are given to both sides as PNG copies, so both decode the same pixels (JPEG decoders differ). Where a tool is
 * absent the test skips and says how to install it (`.ci/run` installs them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../src/explain/classify.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { createGpuTensor, paddedHwcToChw } from '../src/gpu/tensor.ts';
import { readFloats } from '../src/gpu/buffers.ts';
import { gpuStep } from '../src/gpu/context.ts';
import { decodeImageFile } from '../src/image/decode-node.ts';
import type { RgbaImage } from '../src/image/rgba-image.ts';
import { PreprocessOp } from '../src/kernels/preprocess.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { caffePreprocess, torchvisionPreprocess, type Preprocess } from '../src/model/preprocess.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import { testGpu } from './helpers/gpu.ts';
import { sharedPath } from './helpers/shared-data.ts';

const scratch = mkdtempSync(join(tmpdir(), 'fixations-origins-'));
const cleanups: (() => void)[] = [() => rmSync(scratch, { recursive: true, force: true })];
afterAll(() => cleanups.forEach((f) => f()));

/** A PNG copy of a photo, with the pixels our decoder gives (sharp), so the other tool reads exactly those. */
async function pngCopy(photo: string): Promise<string> {
  const name = photo.split('/').pop()!.replace(/\.\w+$/, '.png');
  const path = join(scratch, name);
  if (!existsSync(path)) await sharp(photo).rotate().png().toFile(path);
  return path;
}

function findDarknet(): string | null {
  for (const candidate of [process.env.DARKNET, '/usr/bin/darknet']) if (candidate && existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v darknet'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

/** A Python that imports torchvision and PIL (Debian's is /usr/bin/python3; a pyenv python3 may lack them). */
function findPython(): string | null {
  for (const candidate of [process.env.FIXATIONS_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['-c', 'import torchvision, PIL'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

const tinyDarknet = sharedPath('tiny-darknet');
const darknet = findDarknet();
const python = findPython();
const haveData = existsSync(tinyDarknet);

function skipped(why: string): void {
  it.skip(`skipped: ${why}`, () => {});
}

/** darknet's `classifier predict`, every photo through one process (it reads paths from stdin): top-5 per photo. */
function darknetPredictions(pngs: string[]): { percent: string; label: string }[][] {
  const data = join(scratch, 'tiny.data');
  writeFileSync(data, `classes=1000\nnames=${join(tinyDarknet, 'names.txt')}\ntop=5\n`);
  const run = spawnSync(darknet!, ['classifier', 'predict', data, join(tinyDarknet, 'tiny.cfg'), join(tinyDarknet, 'tiny.weights')], {
    cwd: scratch,
    input: pngs.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`darknet failed (${run.status}): ${run.stderr}`);
  // Lines like "14.18%: malamute", some after darknet's "Enter Image Path: " prompt.
  const lines = [...run.stdout.matchAll(/(\d+\.\d\d)%: (.+)$/gm)].map((m) => ({ percent: m[1], label: m[2].trim() }));
  expect(lines.length, `darknet printed ${run.stdout}`).toBe(5 * pngs.length);
  return pngs.map((_, i) => lines.slice(5 * i, 5 * i + 5));
}

describe('Tiny Darknet predicts what darknet classifier predict does', () => {
  if (!haveData) return skipped(`${tinyDarknet} is absent (real data lives in ../shared/data beside the repository)`);
  if (!darknet) return skipped('darknet is not installed (Debian: apt-get install darknet; .ci/run installs it)');

  it('same top-5 and probabilities (to darknet\'s 0.01 %) on the sample photos', async () => {
    const photos = ['dog', 'eagle', 'giraffe', 'horses', 'person'].map((n) => join(tinyDarknet, 'images', `${n}.jpg`));
    const pngs = await Promise.all(photos.map(pngCopy));
    const theirs = darknetPredictions(pngs);
    const model = await loadModelFile(join(tinyDarknet, 'tiny.cfg'));
    const gpu = await GpuModel.create(await testGpu(), model);
    cleanups.push(() => gpu.destroy());
    for (const [i, png] of pngs.entries()) {
      const ours = (await classify(gpu, await decodeImageFile(png), 5)).predictions;
      const name = png.split('/').pop();
      expect(ours.map((p) => p.label), name).toEqual(theirs[i].map((p) => p.label));
      ours.forEach((p, k) => {
        // darknet prints "%5.2f%%": ours must round to the same, give or take one last digit at a rounding edge.
        expect(Math.abs(p.probability * 100 - Number(theirs[i][k].percent)), `${name} ${p.label}`).toBeLessThanOrEqual(0.0051);
      });
    }
  });
});

/** Runs a Python transform on PNGs; it writes each result as float32 CHW into `<png>.<tag>.f32`. */
function pythonTensors(pngs: string[], tag: string, transform: string): Float32Array[] {
  const script = `
import sys, numpy as np
from PIL import Image
import torch
from torchvision import transforms
${transform}
for path in sys.argv[1:]:
    image = Image.open(path).convert('RGB')
    tensor = np.ascontiguousarray(preprocess(image), dtype=np.float32)
    tensor.tofile(path + '.${tag}.f32')
`;
  const run = spawnSync(python!, ['-c', script, ...pngs], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python failed (${run.status}): ${run.stderr}`);
  return pngs.map((png) => {
    const bytes = readFileSync(`${png}.${tag}.f32`);
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  });
}

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

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Landscape, portrait, square, and one smaller than 256 (enlarged). */
const fewPhotos = () =>
  [
    join(tinyDarknet, 'images', 'dog.jpg'),
    join(tinyDarknet, 'images', 'eagle.jpg'),
    join(tinyDarknet, 'images', 'giraffe.jpg'),
    sharedPath('sod/images/101085.jpg'),
    sharedPath('imagenet-val/images/ILSVRC2012_val_00000361.JPEG'),
  ].filter((p) => existsSync(p));

describe('torchvision and Keras recipes equal the originals\' transforms', () => {
  if (!haveData) return skipped(`${tinyDarknet} is absent (real data lives in ../shared/data beside the repository)`);
  if (!python) return skipped('no python3 with torchvision and PIL (Debian: apt-get install python3-torchvision python3-pil; .ci/run installs them)');

  it('Resize(256), CenterCrop(224), ToTensor, Normalize: CPU reference and GPU within 1/255 of torchvision', async () => {
    const pngs = await Promise.all(fewPhotos().map(pngCopy));
    const theirs = pythonTensors(
      pngs,
      'torchvision',
      `preprocess = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])`,
    );
    for (const [i, png] of pngs.entries()) {
      const photo = await decodeImageFile(png);
      const name = png.split('/').pop();
      // In normalised units, stricter than 1/255 of a [0, 1] pixel (std < 1). PIL's 8-bit passes are reproduced
      // exactly, so what is left is float rounding (measured: under 1e-6 on these photos).
      expect(maxAbsDifference(preprocessReference(photo, torchvisionPreprocess), theirs[i]), `${name} CPU`).toBeLessThanOrEqual(1 / 255);
      expect(maxAbsDifference(await gpuPreprocess(photo, torchvisionPreprocess), theirs[i]), `${name} GPU`).toBeLessThanOrEqual(1 / 255);
    }
  });

  it('Keras load_img(target_size=(224, 224)) (PIL nearest) and caffe preprocess_input: equal', async () => {
    const pngs = await Promise.all(fewPhotos().map(pngCopy));
    // keras.utils.load_img resizes with PIL's NEAREST by default; preprocess_input(mode='caffe') flips to BGR and
    // subtracts the means, channels-last: transposed here to CHW.
    const theirs = pythonTensors(
      pngs,
      'keras',
      `def preprocess(image):
    x = np.asarray(image.resize((224, 224), Image.NEAREST), dtype=np.float32)[..., ::-1] - np.array([103.939, 116.779, 123.68], dtype=np.float32)
    return x.transpose(2, 0, 1)`,
    );
    for (const [i, png] of pngs.entries()) {
      const photo = await decodeImageFile(png);
      const name = png.split('/').pop();
      expect(maxAbsDifference(preprocessReference(photo, caffePreprocess), theirs[i]), `${name} CPU`).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDifference(await gpuPreprocess(photo, caffePreprocess), theirs[i]), `${name} GPU`).toBeLessThanOrEqual(1e-4);
    }
  });
});
