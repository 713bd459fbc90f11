import { expect, it } from 'vitest';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { elementCount, type TensorShape } from '../src/model/shapes.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput, smallArchitectures } from './helpers/nets.ts';

const inputBytes = (shape: TensorShape) => shape.height * shape.width * Math.ceil(shape.channels / 4) * 16;

it('scoreMany gives each input the scores of its own single forward pass, in chunks or in one', async () => {
  const context = await testGpu();
  for (const [a, arch] of smallArchitectures().entries()) {
    const model = randomModel(arch, 40 + a);
    const gpuModel = await GpuModel.create(context, model);
    try {
      const inputs = Array.from({ length: 5 }, (_, i) => randomInput(elementCount(model.input), 100 * a + i));
      const single: number[][] = [];
      for (const input of inputs) single.push(Array.from((await gpuModel.runTensor(input)).scores));
      // One chunk; then two inputs per chunk (three submits), so chunk boundaries are crossed.
      for (const chunkBytes of [undefined, 2 * inputBytes(model.input)]) {
        const batched = await gpuModel.scoreMany(inputs, chunkBytes);
        expect(batched.map((s) => Array.from(s)), `${arch.name}, chunk ${chunkBytes ?? 'default'}`).toEqual(single);
      }
      // The inputs differ, so equal scores are not the same pass read five times.
      expect(new Set(single.map((s) => s.join())).size).toBe(5);
      await expect(gpuModel.scoreMany([new Float32Array(3)])).rejects.toThrow(/input tensor 0 has 3 values/);
    } finally {
      gpuModel.destroy();
    }
  }
});
