/**
 * The GPU backward against the CPU gradient reference: every op's kernel alone (writing and adding to an earlier
 * consumer's gradient), then whole graphs (GpuGradient: plan, reverse order, several consumers summed) on seeded
 * random models through every op, and Tiny Darknet's real weights on a photo where ../shared/data has them.
 * Tolerance: |GPU − reference| ≤ 10⁻⁴ · max |reference| (+ 10⁻⁷): float32 sums in another order than the reference's
 * float64 ones, and in graphs the GPU's own forward activations.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { defaultKernelChoices, GpuModel } from '../src/forward/gpu-model.ts';
import { readFloats } from '../src/gpu/buffers.ts';
import type { GpuOp } from '../src/gpu/dispatch.ts';
import { chwToPaddedHwc, createGpuTensor, gpuTensorBytes, paddedHwcToChw, type GpuTensor } from '../src/gpu/tensor.ts';
import { GpuGradient } from '../src/gradient/executor.ts';
import { gradientKeeps } from '../src/gradient/planner.ts';
import { scoreTensor } from '../src/graph/gradient-path.ts';
import { graphOf, inputTensor, type Architecture, type Model } from '../src/graph/model.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { decodeImageFile } from '../src/image/decode-node.ts';
import type { TensorShape } from '../src/model/shapes.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { lastSpatialTensor } from '../src/postprocess/coarse.ts';
import { opOf } from '../src/ops/registry.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { gradientReference } from '../src/reference/gradient.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { testGpu } from './helpers/gpu.ts';
import { gradientArchitectures, opCaseInputs, opCaseLayer, opCases, type OpCase } from './helpers/gradient-nets.ts';
import { darknetLikeArchitecture, randomInput, smallArchitectures } from './helpers/nets.ts';
import { describeWithSharedData } from './helpers/shared-data.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

function expectGradientClose(gpu: ArrayLike<number>, reference: ArrayLike<number>, what: string, relative = 1e-4): void {
  expect(gpu.length, what).toBe(reference.length);
  let scale = 0;
  for (let i = 0; i < reference.length; i++) scale = Math.max(scale, Math.abs(reference[i]));
  expect(scale, `${what}: the reference gradient is all zeros`).toBeGreaterThan(0);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < gpu.length; i++) {
    const error = Math.abs(gpu[i] - reference[i]);
    if (error > worst) [worst, at] = [error, i];
  }
  expect(worst, `${what}: [${at}] is ${gpu[at]}, the reference ${reference[at]} (max |reference| ${scale})`).toBeLessThanOrEqual(relative * scale + 1e-7);
}

function upload(context: GpuContext, label: string, shape: TensorShape, chw: ArrayLike<number>): GpuTensor {
  const tensor = createGpuTensor(context, label, shape);
  context.device.queue.writeBuffer(tensor.buffer, 0, chwToPaddedHwc(Float32Array.from(chw), shape));
  cleanups.push(() => tensor.buffer.destroy());
  return tensor;
}

/** Max-pools over inputs of three values (ReLU outputs are mostly 0): ties everywhere, the lowest position must win. */
const tiedCases: (OpCase & { tied: true })[] = [
  { what: 'max-pool 3×3/2 pad 1, ceil mode, tied inputs', spec: { kind: 'maxpool', name: 'p', size: 3, stride: 2, padding: 1, ceilMode: true }, inShapes: [{ channels: 5, height: 7, width: 6 }], tied: true },
  { what: 'max-pool 2×2/1, tied inputs', spec: { kind: 'maxpool', name: 'p', size: 2, stride: 1 }, inShapes: [{ channels: 3, height: 5, width: 5 }], tied: true },
];

/** One op's backward kernel on the case's seeded inputs, writing and adding, against the reference. */
async function expectOpKernelMatches(c: OpCase, context: GpuContext): Promise<GpuOp> {
  const layer = opCaseLayer(c, 2);
  const op = opOf(layer);
  const outShape = op.outputShape(layer, c.inShapes);
  const inputs = opCaseInputs(c, 9).map((x) => ('tied' in c ? x.map((v) => Math.max(0, Math.round(v * 2))) : x));
  const output = op.reference.forward(layer, inputs, c.inShapes, outShape);
  const rng = seededRandom(4);
  const outGradient = Float64Array.from({ length: output.length }, () => 2 * rng() - 1);
  const inTensors = inputs.map((input, i) => upload(context, `input ${i}`, c.inShapes[i], input));
  const outTensor = upload(context, 'output', outShape, output);
  const gradientOut = upload(context, 'd output', outShape, outGradient);
  // The node's forward, never run: dense's backward reads its weight chunks; the others ignore it (and compiling
  // every forward kernel here would double the test's time).
  const bindingLimit = Math.min(context.budget.maxStorageBufferBindingSize, context.budget.maxBufferSize);
  const scratch = new Map<string, GPUBuffer>();
  const forwardOp =
    layer.kind === 'dense'
      ? await op.forward.create(context, layer, inTensors, outTensor, { kernels: defaultKernelChoices, scratch, bindingLimit })
      : { encode: () => {}, destroy: () => {} };
  const prepared = await op.gradient.host.prepare(context, layer, forwardOp, c.inShapes, outShape);
  cleanups.push(() => (prepared.destroy(), forwardOp.destroy(), scratch.forEach((b) => b.destroy())));
  for (let inputIndex = 0; inputIndex < inputs.length; inputIndex++) {
    const reference = op.gradient.reference.input(layer, inputIndex, outGradient, inputs, output, c.inShapes, outShape);
    const shape = c.inShapes[inputIndex];
    // An earlier consumer's gradient to add to: accumulate = true must add, false overwrite.
    const earlier = Float64Array.from({ length: reference.length }, () => 2 * rng() - 1);
    for (const accumulate of [false, true]) {
      const gradientIn = upload(context, 'd input', shape, earlier);
      const step = await prepared.step({ inputIndex, inputs: inTensors, output: outTensor, outGradient: gradientOut.buffer, inGradient: gradientIn.buffer, accumulate });
      const encoder = context.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      step.encode(pass);
      pass.end();
      context.device.queue.submit([encoder.finish()]);
      const padded = await readFloats(context, 'd input', gradientIn.buffer, gpuTensorBytes(shape) / 4);
      step.destroy();
      const expected = accumulate ? reference.map((g, i) => g + earlier[i]) : reference;
      expectGradientClose(paddedHwcToChw(padded, shape), expected, `${c.what}, input ${inputIndex}${accumulate ? ', added' : ''}`);
      // The padding lanes stay as they were: 0.
      const stride = Math.ceil(shape.channels / 4) * 4;
      for (let p = 0; p < shape.height * shape.width; p++) {
        for (let lane = shape.channels; lane < stride; lane++) expect(padded[p * stride + lane]).toBe(0);
      }
    }
  }
  return forwardOp;
}

describe('op backward kernels against the CPU reference', () => {
  for (const c of [...opCases, ...tiedCases]) it(c.what, async () => void (await expectOpKernelMatches(c, await testGpu())));

  it('dense with its weights split over several bindings (small limits): the chunks add up', async () => {
    const small = await testGpu({ maxStorageBufferBindingSize: 4096, maxBufferSize: 4096 });
    const c: OpCase = { what: 'dense split', spec: { kind: 'dense', name: 'd', inFeatures: 60, outFeatures: 40, activation: 'leaky' }, inShapes: [{ channels: 60, height: 1, width: 1 }] };
    const forwardOp = (await expectOpKernelMatches(c, small)) as unknown as { weights: { chunks: unknown[] } };
    expect(forwardOp.weights.chunks.length).toBeGreaterThan(2);
  });
});

/** Every tensor the gradient reaches from the logits that is not the logits themselves. */
function gradientTensors(model: Model): string[] {
  const score = scoreTensor(model);
  return graphOf(model).tensors.filter((t) => t !== model.output && t !== score);
}

async function expectGraphMatches(model: Model, tensors: string[], targets: number[], seed: number): Promise<void> {
  const keep = [...new Set(tensors.flatMap((t) => gradientKeeps(model, t)))];
  const gpu = await GpuModel.create(await testGpu(), model, { keep });
  cleanups.push(() => gpu.destroy());
  const gradient = await GpuGradient.create(gpu, tensors);
  cleanups.push(() => gradient.destroy());
  const shape = graphOf(model).shapes.get(inputTensor)!;
  const input = randomInput(shape.channels * shape.height * shape.width, seed);
  await gpu.runTensor(input);
  const activations = forwardReference(model, input);
  for (const target of targets) {
    const reference = gradientReference(model, activations, target, tensors);
    const ours = await gradient.run(target, [tensors[0]]);
    for (const t of tensors) expectGradientClose(ours.gradients.get(t)!, reference.get(t)!, `${model.name}: d logit ${target} / d ${t}`);
    expect(ours.activations.get(tensors[0])!.length).toBe(activations.get(tensors[0])!.length);
  }
}

describe('GpuGradient on random graphs against the CPU reference', () => {
  const archs: Architecture[] = [...gradientArchitectures(), ...smallArchitectures(), darknetLikeArchitecture(8, 6)];
  for (const arch of archs) {
    it(`${arch.name}: every tensor from the logits down to the input`, async () => {
      const model = randomModel(arch, 17);
      await expectGraphMatches(model, gradientTensors(model), [0, 3], 23);
    });
  }

  it('plans only the way to the layer asked and refuses one whose gradient reads a tensor the forward dropped', async () => {
    const model = randomModel(gradientArchitectures()[0], 8);
    const gpu = await GpuModel.create(await testGpu(), model);
    cleanups.push(() => gpu.destroy());
    await expect(GpuGradient.create(gpu, ['c1'])).rejects.toThrow(/reads tensors the forward pass does not keep \(.*cat.*\)/);
    const last = await GpuGradient.create(gpu, [lastSpatialTensor(graphOf(model))!]);
    cleanups.push(() => last.destroy());
    expect(last.plan.steps.map((s) => s.node.name)).toEqual(['gap']);
    await expect(last.run(10)).rejects.toThrow(/class 10 is not one of the model's 10 classes/);
  });
});

describeWithSharedData('GpuGradient on Tiny Darknet (real weights)', 'tiny-darknet', (dir) => {
  it('dog.jpg: d logit / d the last three spatial tensors equals the reference', async () => {
    const model = await loadModelFile(`${dir}/tiny.cfg`);
    const graph = graphOf(model);
    const spatial = graph.tensors.filter((t) => t !== inputTensor && graph.shapes.get(t)!.height * graph.shapes.get(t)!.width > 1);
    const tensors = spatial.slice(-3);
    const context = await testGpu();
    const gpu = await GpuModel.create(context, model, { keep: [...new Set(tensors.flatMap((t) => gradientKeeps(model, t)))] });
    cleanups.push(() => gpu.destroy());
    const gradient = await GpuGradient.create(gpu, tensors);
    cleanups.push(() => gradient.destroy());
    const { scores } = await gpu.run(await decodeImageFile(`${dir}/images/dog.jpg`));
    const top = scores.indexOf(Math.max(...scores));
    const input = (await gpu.readActivations([inputTensor])).get(inputTensor)!;
    const reference = gradientReference(model, forwardReference(model, input), top, tensors);
    const ours = await gradient.run(top);
    for (const t of tensors) expectGradientClose(ours.gradients.get(t)!, reference.get(t)!, `tiny darknet: d logit ${top} / d ${t}`, 1e-3);
  });
});
