import { afterAll, expect, it } from 'vitest';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { vggArchitecture } from '../src/model/architectures.ts';
import { randomModel } from '../src/model/random-model.ts';
import { elementCount } from '../src/model/shapes.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';

// The slow test: VGG19 at full size (143 M weights, 19.6 G multiply-adds), one forward pass on the GPU and on the CPU.
const arch = vggArchitecture(19);
const model = randomModel(arch, 19);
const input = randomInput(elementCount(arch.input), 19);
let gpu: GpuModel | null = null;
afterAll(() => gpu?.destroy());

it('VGG19 with seeded random weights: every activation, and the logits, equal the CPU reference within 1e-3', async () => {
  gpu = await GpuModel.create(await testGpu(), model);
  // fc6 alone (25088×4096 fp32 = 411 MB) exceeds WebGPU's default binding size, so it must have been split.
  expect(gpu.ops.length).toBe(model.layers.length);
  await gpu.runTensor(input);
  const got = await gpu.readActivations();
  const want = forwardReference(model, input);
  want.forEach((ref, i) => expectClose(got[i], ref, 1e-3, `activation ${i} (${i ? model.layers[i - 1].name : 'input'})`));
  const logits = model.layers.findIndex((l) => l.name === 'fc8') + 1;
  expectClose(got[logits], want[logits], 1e-3, 'logits');
});
