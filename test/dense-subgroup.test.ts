import { afterAll, describe, expect, it } from 'vitest';
import { denseCandidates, kernelChoicesFor, type KernelChoiceStore, type TuningResult } from '../src/forward/autotune.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { chain, type Architecture } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { elementCount } from '../src/model/shapes.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { defaultKernelChoices, type DenseKernel } from '../src/ops/common/kernel-choices.ts';
import { DenseOp } from '../src/ops/dense/forward.ts';
import type { DenseLayer } from '../src/ops/layers.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput, smallArchitectures } from './helpers/nets.ts';

const models: GpuModel[] = [];
afterAll(() => models.forEach((m) => m.destroy()));

/** Dense layers over a flattened h×w RGB input: in-features 3·h·w, chosen to be no multiple of 4 or 64. */
function denseArchitecture(height: number, width: number, hidden: number, classes: number): Architecture {
  return {
    name: `dense-${3 * height * width}-${hidden}-${classes}`,
    input: { channels: 3, height, width },
    preprocess: unitRgbPreprocess(width, height),
    ...chain([
      { kind: 'flatten', name: 'flat' },
      { kind: 'dense', name: 'd1', inFeatures: 3 * height * width, outFeatures: hidden, activation: 'relu' },
      { kind: 'dense', name: 'd2', inFeatures: hidden, outFeatures: classes, activation: 'leaky' },
      { kind: 'dense', name: 'd3', inFeatures: classes, outFeatures: 3, activation: 'linear' },
    ]),
  };
}

async function expectMatchesReference(arch: Architecture, seed: number, kernel: DenseKernel, budget?: { maxStorageBufferBindingSize: number; maxBufferSize: number }): Promise<GpuModel> {
  const context = await testGpu(budget);
  const model = randomModel(arch, seed);
  const gpu = await GpuModel.create(context, model, { kernels: { dense: kernel } });
  models.push(gpu);
  const input = randomInput(elementCount(arch.input), seed + 1);
  await gpu.runTensor(input);
  const got = await gpu.readActivations();
  const want = forwardReference(model, input);
  expect(got.size).toBeGreaterThan(0);
  const dense = gpu.ops.filter((op) => op instanceof DenseOp);
  expect(dense.length).toBe(model.nodes.filter((n) => n.kind === 'dense').length);
  expect(dense.every((op) => op.kernel === kernel)).toBe(true);
  for (const [name, values] of got) expectClose(values, want.get(name)!, 1e-4, `${arch.name} (${kernel}) tensor ${name}`);
  return gpu;
}

const hasSubgroups = (await testGpu()).hasSubgroups;
if (!hasSubgroups) console.warn(`dense-subgroup tests: ${(await testGpu()).adapter.name} offers no WebGPU "subgroups" feature; GPU checks skipped`);

describe.skipIf(!hasSubgroups)('subgroup dense kernel equals the CPU reference', () => {
  // 3·7·5 = 105 (odd, one partial vec4), 3·19·23 = 1311 (> 64 vec4s, not a multiple of 64), 3·1·1 = 3 (fewer than 4).
  for (const [seed, [h, w, hidden, classes]] of [[7, 5, 67, 9], [19, 23, 37, 130], [1, 1, 5, 2]].entries()) {
    it(`in-features ${3 * h * w} → ${hidden} → ${classes} → 3`, async () => {
      await expectMatchesReference(denseArchitecture(h, w, hidden, classes), 900 + seed, 'subgroup');
    });
  }

  it('splits the weights over several bindings at a small binding limit, with the same result', async () => {
    // d1's rows are 328 vec4s = 5248 bytes: 12 rows a 64 KiB binding, so its 37 rows take 4 chunks.
    const gpu = await expectMatchesReference(denseArchitecture(19, 23, 37, 11), 41, 'subgroup', { maxStorageBufferBindingSize: 64 * 1024, maxBufferSize: 64 * 1024 });
    const dense = gpu.ops.filter((op): op is DenseOp => op instanceof DenseOp);
    expect(dense.length).toBe(3);
    expect(dense[0].weights.chunks.length).toBeGreaterThan(1);
  });

  for (const arch of smallArchitectures().filter((a) => a.nodes.some((n) => n.kind === 'dense'))) {
    it(`${arch.name}: a whole conv + dense net with the subgroup dense kernel forced`, async () => {
      await expectMatchesReference(arch, 55, 'subgroup');
    });
  }

  it('a slim VGG19 (every layer, narrow; fc6 81 → 70 → 70 → 13) with the subgroup dense kernel forced', async () => {
    await expectMatchesReference(vggArchitecture(19, { widths: [3, 5, 6, 7, 9], inputSize: 96, hidden: 70, classes: 13 }), 61, 'subgroup');
  });

  it('tune considers it on this device', async () => {
    expect(denseCandidates(await testGpu())).toContain('subgroup');
  });
});

describe('the subgroup dense kernel on a device without the feature', () => {
  const layer = (): DenseLayer => ({ kind: 'dense', name: 'fc', inFeatures: 8, outFeatures: 4, activation: 'linear', weight: new Float32Array(32), bias: new Float32Array(4) });

  it('is refused with a message naming the feature', async () => {
    const context = { ...(await testGpu()), hasSubgroups: false };
    const vector = { label: 'v', shape: { channels: 8, height: 1, width: 1 }, c4: 2, batch: 1, buffer: null as unknown as GPUBuffer };
    await expect(DenseOp.create(context, layer(), vector, vector, 'subgroup')).rejects.toThrow(/fc: the dense kernel "subgroup" needs the WebGPU feature "subgroups", which .* does not offer/);
    await expect(DenseOp.create(context, layer(), vector, vector, 'bogus' as DenseKernel)).rejects.toThrow(/unknown dense kernel "bogus"/);
  });

  it('is not a tuning candidate', () => {
    expect(denseCandidates({ hasSubgroups: false })).toEqual(['invocation', 'workgroup']);
    expect(denseCandidates({ hasSubgroups: true })).toEqual(['invocation', 'workgroup', 'subgroup']);
  });

  const storeWith = (choices: object): KernelChoiceStore => ({
    load: (adapter) => ({ adapter, date: '', measurements: [], choices }) as unknown as TuningResult,
    save: () => {},
  });
  const adapter = { name: 'SwiftShader test', isFallbackAdapter: true };

  it('a stored subgroup choice falls back to the default with a warning; unknown ones too; old stores keep working', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const stored = { ...defaultKernelChoices, winograd: false, dense: 'subgroup' };
    expect(kernelChoicesFor({ adapter, hasSubgroups: true }, storeWith(stored), warn)).toEqual(stored);
    expect(warnings).toEqual([]);
    const without = kernelChoicesFor({ adapter, hasSubgroups: false }, storeWith(stored), warn);
    expect(without).toEqual({ ...stored, dense: 'invocation' });
    expect(warnings[0]).toMatch(/stored dense kernel "subgroup" cannot run on SwiftShader test \(it needs the WebGPU feature "subgroups"\); using "invocation"/);
    expect(kernelChoicesFor({ adapter, hasSubgroups: true }, storeWith({ ...stored, dense: 'warp' }), warn).dense).toBe('invocation');
    expect(warnings[1]).toMatch(/"warp" .*unknown kernel/);
    // A store from before some fields existed: the missing ones take the defaults.
    const { dense: _dense, depthwise: _depthwise, ...old } = defaultKernelChoices;
    expect(kernelChoicesFor({ adapter, hasSubgroups: false }, storeWith({ ...old, winograd: false }), warn)).toEqual({ ...defaultKernelChoices, winograd: false });
    expect(warnings.length).toBe(2);
  });
});
