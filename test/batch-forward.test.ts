/**
 * The batch dimension of the forward pass (GpuModelOptions.batch): every image of a batched pass equals the CPU
 * reference run on that image alone, kept tensor by kept tensor, under every kernel the forward may choose; scoreMany,
 * runMany and copyImageInto (then backtracking on a batch-1 model) against single-image passes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { multiCropGeometries } from '../src/explain/multi-crop.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { GpuGradient } from '../src/gradient/executor.ts';
import { chain, type Architecture } from '../src/graph/model.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { decodeImageFile } from '../src/image/decode-node.ts';
import type { RgbaImage } from '../src/image/rgba-image.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { elementCount } from '../src/model/shapes.ts';
import { rules } from '../src/ops/common/rules.ts';
import type { KernelChoices } from '../src/ops/common/kernel-choices.ts';
import { DenseOp } from '../src/ops/dense/forward.ts';
import { DenseGemmOp } from '../src/ops/dense/gemm.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { expectClose } from './helpers/compare.ts';
import { everyOpArchitectures } from './helpers/every-op-graphs.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput, smallArchitectures } from './helpers/nets.ts';
import { sharedPath } from './helpers/shared-data.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

async function open(model: Parameters<typeof GpuModel.create>[1], options: Parameters<typeof GpuModel.create>[2] = {}): Promise<GpuModel> {
  const gpu = await GpuModel.create(await testGpu(), model, options);
  cleanups.push(() => gpu.destroy());
  return gpu;
}

/** Depthwise convolutions (their own kernel), one with stride 2 and asymmetric pads, and a GAP head. */
const depthwiseNet: Architecture = {
  name: 'depthwise',
  input: { channels: 3, height: 13, width: 11 },
  preprocess: unitRgbPreprocess(11, 13),
  ...chain([
    { kind: 'conv2d', name: 'c1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 12, activation: 'relu' },
    { kind: 'conv2d', name: 'dw1', kernel: 3, stride: 1, padding: 1, inChannels: 12, outChannels: 12, groups: 12, activation: 'relu6' },
    { kind: 'conv2d', name: 'dw2', kernel: 5, stride: 2, padding: 0, pads: [2, 1, 2, 3], inChannels: 12, outChannels: 12, groups: 12, activation: 'leaky' },
    { kind: 'conv2d', name: 'pw', kernel: 1, stride: 1, padding: 0, inChannels: 12, outChannels: 6, activation: 'linear' },
    { kind: 'globalAvgPool', name: 'gap' },
    { kind: 'softmax', name: 'prob' },
  ]),
};

const architectures = [...everyOpArchitectures(), ...smallArchitectures(), depthwiseNet];

/**
 * The kernels a convolution may run as: the defaults (depthwise, Winograd F(4×4), pointwise GEMM, im2col), Winograd
 * F(2×2), and all direct.
 */
const variants: { name: string; kernels: Partial<KernelChoices> }[] = [
  { name: 'default kernels', kernels: {} },
  { name: 'Winograd F(2×2)', kernels: { winogradTile: 2 } },
  { name: 'all direct', kernels: { depthwise: false, winograd: false, pointwise: false, im2col: false } },
];

const inputsFor = (arch: Architecture, count: number, seed: number) => Array.from({ length: count }, (_, i) => randomInput(elementCount(arch.input), seed + 17 * i));

describe('a batched forward pass equals the CPU reference on each image alone', () => {
  for (const arch of architectures) {
    for (const [v, variant] of variants.entries()) {
      it(`${arch.name}, ${variant.name}, batches of 2 and 3`, async () => {
        const model = randomModel(arch, 300 + v);
        for (const batch of [2, 3]) {
          const gpu = await open(model, { kernels: variant.kernels, batch });
          expect(gpu.batch).toBe(batch);
          expect(gpu.tensor(model.output).batch).toBe(batch);
          const inputs = inputsFor(arch, batch, 11 * batch + v);
          const results = await gpu.runTensors(inputs);
          expect(results).toHaveLength(batch);
          for (const [image, input] of inputs.entries()) {
            const want = forwardReference(model, input);
            const got = await gpu.readActivations(undefined, image);
            expect(got.size).toBeGreaterThan(model.nodes.length / 2);
            for (const [name, values] of got) expectClose(values, want.get(name)!, 1e-4, `${arch.name} batch ${batch} image ${image} tensor ${name}`);
            expectClose(results[image].scores, want.get(model.output)!, 1e-4, `${arch.name} batch ${batch} image ${image} scores`);
          }
          // Different inputs give different outputs: no image is another's read twice.
          expect(new Set(results.map((r) => Array.from(r.scores).join())).size).toBe(batch);
          const dense = gpu.ops.filter((_, i) => model.nodes[i].kind === 'dense');
          expect(dense.every((op) => op instanceof DenseGemmOp), 'dense layers run as the batch GEMM').toBe(true);
        }
      });
    }
  }

  it('with weights split over several bindings (small limits), dense layers run dense_batch.wgsl, with the same result', async () => {
    const arch = smallArchitectures()[2];
    const model = randomModel(arch, 77);
    // d1's weights are 594·132·4 bytes ≈ 310 KB: the GEMM's do not fit 128 KiB, the rows split into chunks.
    const small = await testGpu({ maxStorageBufferBindingSize: 128 * 1024, maxBufferSize: 128 * 1024 });
    for (const batch of [3, 9]) {
      const gpu = await GpuModel.create(small, model, { kernels: { winograd: false }, batch });
      cleanups.push(() => gpu.destroy());
      const d1 = gpu.ops[model.nodes.findIndex((n) => n.name === 'd1')];
      expect(d1).toBeInstanceOf(DenseOp);
      expect((d1 as DenseOp).weights.chunks.length).toBeGreaterThan(1);
      const inputs = inputsFor(arch, batch, 3);
      await gpu.runTensors(inputs);
      // 9 images: two dispatches per chunk (8 + 1 images).
      for (const image of new Set([0, 1, batch - 1, Math.min(8, batch - 1)])) {
        const want = forwardReference(model, inputs[image]);
        for (const [name, values] of await gpu.readActivations(undefined, image)) expectClose(values, want.get(name)!, 1e-4, `batch ${batch} image ${image} tensor ${name}`);
      }
    }
  });

  it('rejects a batch that is not a positive integer, too many inputs and images outside the batch', async () => {
    const model = randomModel(architectures[0], 5);
    await expect(GpuModel.create(await testGpu(), model, { batch: 0 })).rejects.toThrow(/batch must be an integer ≥ 1 \(got 0\)/);
    await expect(GpuModel.create(await testGpu(), model, { batch: 2.5 })).rejects.toThrow(/batch must be an integer ≥ 1/);
    const gpu = await open(model, { batch: 2 });
    await expect(gpu.runTensors(inputsFor(architectures[0], 3, 1))).rejects.toThrow(/3 input tensors for a batch of 2/);
    await expect(gpu.readActivations(undefined, 2)).rejects.toThrow(/image 2 is outside the batch of 2/);
    await expect(GpuBacktracker.create(gpu)).rejects.toThrow(/backtracking runs on a model of one image, this one holds 2; copy an image into one/);
    await expect(GpuGradient.create(gpu, [gpu.graph.tensors[1]])).rejects.toThrow(/the gradient runs on a model of one image, this one holds 2/);
  });

  it('checks the limits on the batched sizes', async () => {
    const arch = smallArchitectures()[0];
    // The input is 23·19 pixels × 16 bytes = 6992 bytes: one image fits 8 KiB, two do not.
    const small = await testGpu({ maxStorageBufferBindingSize: 8192, maxBufferSize: 8192 });
    await expect(GpuModel.create(small, randomModel(arch, 1), { batch: 2 })).rejects.toThrow(/activation input \(.*× 2 images\)/);
  });
});

describe('the batched API against single-image passes', () => {
  it('scoreMany on a batch of 3 with 7 inputs equals 7 single runs, in one chunk or several', async () => {
    for (const arch of [everyOpArchitectures()[0], smallArchitectures()[2]]) {
      const model = randomModel(arch, 61);
      const single = await open(model);
      const batched = await open(model, { batch: 3 });
      const inputs = inputsFor(arch, 7, 5);
      const want: Float32Array[] = [];
      for (const input of inputs) want.push((await single.runTensor(input)).scores);
      const inputBytes = arch.input.height * arch.input.width * 16;
      for (const chunkBytes of [undefined, 4 * inputBytes]) {
        const got = await batched.scoreMany(inputs, chunkBytes);
        expect(got).toHaveLength(7);
        // Close, not equal: the batch's dense layers sum in the GEMM's order.
        got.forEach((scores, i) => expectClose(scores, want[i], 1e-5, `${arch.name} input ${i}, chunk ${chunkBytes ?? 'default'}`));
      }
    }
  });

  it('copyImageInto a batch-1 model: its backtracking gives the trees of a single-image forward of that input', async () => {
    for (const arch of [everyOpArchitectures()[1], depthwiseNet]) {
      const model = randomModel(arch, 71);
      const batched = await open(model, { batch: 3 });
      const target = await open(model);
      const backtracker = await GpuBacktracker.create(target);
      cleanups.push(() => backtracker.destroy());
      const inputs = inputsFor(arch, 3, 9);
      await batched.runTensors(inputs);
      for (const image of [2, 0]) {
        await target.runTensor(inputs[(image + 1) % 3]);
        batched.copyImageInto(image, target);
        const activations = await target.readActivations();
        const want = forwardReference(model, inputs[image]);
        for (const [name, values] of activations) expectClose(values, want.get(name)!, 1e-4, `${arch.name} image ${image} copied ${name}`);
        for (const rule of rules) {
          for (const targetClass of [0, 3]) {
            const { tree: copied } = await backtracker.run(targetClass, rule);
            expectTreeMatchesReference(model, activations, copied, rule, `${arch.name} image ${image} class ${targetClass} ${rule}`);
            await target.runTensor(inputs[image]);
            const { tree: single } = await backtracker.run(targetClass, rule);
            expect(copied.levels.map((l) => Array.from(l.nodes)), `${arch.name} image ${image} class ${targetClass} ${rule}: same tree`).toEqual(
              single.levels.map((l) => Array.from(l.nodes)),
            );
            batched.copyImageInto(image, target);
          }
        }
      }
    }
  });

  it('copyImageInto refuses another graph, a batched target, keeps this model lacks and images outside the batch', async () => {
    const [a, b] = everyOpArchitectures();
    const model = randomModel(a, 3);
    const batched = await open(model, { batch: 2 });
    expect(() => batched.copyImageInto(2, batched)).toThrow(/image 2 is outside the batch of 2/);
    expect(() => batched.copyImageInto(0, batched)).toThrow(/the target has a batch of 2, not 1/);
    const other = await open(randomModel(b, 3));
    expect(() => batched.copyImageInto(0, other)).toThrow(/graphs differ/);
    const keepsMore = await open(model, { keep: ['fc2'] });
    expect(() => batched.copyImageInto(0, keepsMore)).toThrow(/the target keeps fc2, which this model does not keep/);
  });

  it('runMany over crops of a photo equals a single run of each crop', async () => {
    const arch = everyOpArchitectures()[0];
    const model = randomModel(arch, 81);
    const random = seededRandom(4);
    const photo: RgbaImage = { width: 40, height: 31, data: Uint8Array.from({ length: 40 * 31 * 4 }, () => Math.floor(random() * 256)) };
    const geometries = multiCropGeometries(photo.width, photo.height, model.input.width, model.input.height, 26);
    expect(geometries.length).toBeGreaterThanOrEqual(5);
    const batched = await open(model, { batch: 5 });
    const single = await open(model);
    const got = await batched.runMany(photo, geometries.slice(0, 5));
    for (const [i, geometry] of geometries.slice(0, 5).entries()) {
      const want = await single.run(photo, geometry);
      expect(got[i].geometry).toEqual(geometry);
      expectClose(got[i].scores, want.scores, 1e-5, `crop ${i}`);
      // And the whole input slot: the crop's preprocessed pixels.
      const [slot, alone] = [await batched.readActivations(['input'], i), await single.readActivations(['input'])];
      expect(Array.from(slot.get('input')!), `crop ${i} input`).toEqual(Array.from(alone.get('input')!));
    }
    expect(new Set(got.map((r) => Array.from(r.scores).join())).size).toBe(5);
    await expect(batched.runMany(photo, geometries.concat(geometries))).rejects.toThrow(/crops for a batch of 5/);
  });
});

const tinyDarknet = sharedPath('tiny-darknet');
describe.skipIf(!existsSync(tinyDarknet))('Tiny Darknet, real weights, a batch of 2 (skipped without ../shared/data/tiny-darknet)', () => {
  it('two crops of a photo in one pass have the scores of a single run of each crop', async () => {
    const model = await loadModelFile(`${tinyDarknet}/tiny.cfg`);
    const [single, batched] = [await open(model), await open(model, { batch: 2 })];
    const [file] = readdirSync(`${tinyDarknet}/images`).sort();
    const photo = await decodeImageFile(`${tinyDarknet}/images/${file}`);
    const crops = multiCropGeometries(photo.width, photo.height, model.input.width, model.input.height).slice(3, 5);
    const got = await batched.runMany(photo, crops);
    for (const [i, crop] of crops.entries()) expectClose(got[i].scores, (await single.run(photo, crop)).scores, 1e-5, `${file} crop ${i}`);
    expect(Array.from(got[0].scores)).not.toEqual(Array.from(got[1].scores));
  });
});
