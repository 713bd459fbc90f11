import { afterAll, describe, expect, it } from 'vitest';
import { graphArchitectures } from '../src/architectures/index.ts';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { graphOf } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { elementCount } from '../src/model/shapes.ts';
import { rules } from '../src/ops/common/rules.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

/** Full size, seeded random weights, once each (SwiftShader is slow): the GPU equals the CPU reference. */
describe('full-size architectures on the GPU equal the CPU reference', () => {
  for (const name of ['resnet50', 'googlenet', 'densenet121', 'mobilenet_v2', 'alexnet'] as const) {
    it(`${name} at 224×224: every kept tensor, then a backtrack from the top class with both rules`, async () => {
      const model = randomModel(graphArchitectures[name]().architecture, 3);
      const gpu = await GpuModel.create(await testGpu(), model);
      const backtracker = await GpuBacktracker.create(gpu);
      cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
      const input = randomInput(elementCount(model.input), 5);
      await gpu.runTensor(input);
      const activations = await gpu.readActivations();
      const want = forwardReference(model, input);
      for (const [tensor, values] of activations) expectClose(values, want.get(tensor)!, 2e-3, `${name} ${tensor}`);
      const scores = activations.get(model.output)!;
      const top = scores.indexOf(Math.max(...scores));
      for (const rule of rules) {
        const { tree } = await backtracker.run(top, rule);
        const { explainedDifferences } = expectTreeMatchesReference(model, activations, tree, rule, `${name} ${rule}`);
        explainedDifferences.forEach((d) => console.log(d));
        expect(tree.levels.at(-1)!.nodes.length, `${name} ${rule}: fixations`).toBeGreaterThan(0);
      }
      console.log(`${name}: ${graphOf(model).tensors.length} tensors, peak activations ${(gpu.memory.peakBytes / 2 ** 20).toFixed(1)} MiB`);
    });
  }
});
