import { afterAll, describe, expect, it } from 'vitest';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { elementCount } from '../src/model/shapes.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { workgroupGemmTile, type Conv2dTile } from '../src/ops/common/kernel-choices.ts';
import { Conv2dWinogradOp } from '../src/ops/conv2d/winograd.ts';
import { Conv2dPointwiseOp } from '../src/ops/conv2d/pointwise.ts';
import { Conv2dIm2colOp } from '../src/ops/conv2d/im2col.ts';
import { Conv2dOp } from '../src/ops/conv2d/direct.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput, smallArchitectures } from './helpers/nets.ts';

const tiles: Conv2dTile[] = [
  { tileM: 8, tileN4: 4, threads: 64 },
  { tileM: 4, tileN4: 1, threads: 32 },
  { tileM: 3, tileN4: 2, threads: 64 },
];
const models: GpuModel[] = [];
afterAll(() => models.forEach((m) => m.destroy()));

describe('GPU forward pass equals the CPU reference on seeded random nets', () => {
  for (const arch of smallArchitectures()) {
    for (const [t, tile] of tiles.entries()) {
      for (const gemm of [false, true]) {
      // Both Winograd variants: F(4×4) on two of the GEMM tiles, F(2×2) on the third.
      const winogradTile = t === 1 ? (2 as const) : (4 as const);
      it(`${arch.name}, ${gemm ? `Winograd F(${winogradTile}×${winogradTile}) and pointwise GEMM` : 'direct conv'} tile ${tile.tileM}×${tile.tileN4 * 4}/${tile.threads}`, async () => {
        const context = await testGpu();
        const model = randomModel(arch, 1000 + t);
        const kernels = gemm
          ? { winograd: true, winogradTile, pointwise: true, im2col: true, gemmTile: tile }
          : { winograd: false, pointwise: false, im2col: false, conv2dTile: tile };
        const gpu = await GpuModel.create(context, model, { kernels });
        models.push(gpu);
        const input = randomInput(elementCount(arch.input), 7 + t);
        await gpu.runTensor(input);
        const got = await gpu.readActivations();
        const want = forwardReference(model, input);
        expect(got.size).toBeGreaterThan(model.nodes.length / 2);
        for (const [name, values] of got) expectClose(values, want.get(name)!, 1e-4, `${arch.name} tensor ${name}`);
        const gemmLayers = gpu.ops.filter((op) => op instanceof Conv2dWinogradOp || op instanceof Conv2dPointwiseOp || op instanceof Conv2dIm2colOp).length;
        expect(gemmLayers > 0).toBe(gemm);
        if (!gemm) expect(gpu.ops.filter((op) => op instanceof Conv2dOp).length).toBe(model.nodes.filter((l) => l.kind === 'conv2d').length);
      });
      }
    }
  }

  for (const arch of smallArchitectures()) {
    it(`${arch.name}, the GPU variants: workgroup-memory GEMM and workgroup-per-row dense`, async () => {
      const model = randomModel(arch, 31);
      const gpu = await GpuModel.create(await testGpu(), model, { kernels: { gemmTile: workgroupGemmTile, dense: 'workgroup' } });
      models.push(gpu);
      const input = randomInput(elementCount(arch.input), 5);
      await gpu.runTensor(input);
      const got = await gpu.readActivations();
      const want = forwardReference(model, input);
      for (const [name, values] of got) expectClose(values, want.get(name)!, 1e-4, `${arch.name} tensor ${name}`);
    });
  }

  it('splits weights over several bindings when the limits are small, with the same result', async () => {
    const arch = smallArchitectures()[2];
    const model = randomModel(arch, 77);
    const input = randomInput(elementCount(arch.input), 3);
    // c3's weights are 9·72·68·4 bytes ≈ 176 KB and d1's 594·132·4 ≈ 310 KB: both must split at 64 KiB.
    const small = await testGpu({ maxStorageBufferBindingSize: 64 * 1024, maxBufferSize: 64 * 1024 });
    const gpu = await GpuModel.create(small, model, { kernels: { winograd: false } });
    models.push(gpu);
    await gpu.runTensor(input);
    const got = await gpu.readActivations();
    const want = forwardReference(model, input);
    for (const [name, values] of got) expectClose(values, want.get(name)!, 1e-4, `split tensor ${name}`);
    const conv = gpu.ops[3] as unknown as { chunks: unknown[] };
    expect(conv.chunks.length).toBeGreaterThan(1);
  });
});
