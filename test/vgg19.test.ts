import { afterAll, expect, it } from 'vitest';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { rules } from '../src/ops/common/rules.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { elementCount } from '../src/model/shapes.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

// The slow tests: VGG19 at full size (143 M weights, 19.6 G multiply-adds), one forward pass on the GPU and on the CPU,
// then one full backtrack per rule.
const arch = vggArchitecture(19);
const model = randomModel(arch, 19);
const input = randomInput(elementCount(arch.input), 19);
let gpu: GpuModel | null = null;
let backtracker: GpuBacktracker | null = null;
afterAll(() => {
  backtracker?.destroy();
  gpu?.destroy();
});

it('VGG19 with seeded random weights: every activation, and the logits, equal the CPU reference within 1e-3', async () => {
  gpu = await GpuModel.create(await testGpu(), model);
  await gpu.runTensor(input);
  const got = await gpu.readActivations();
  const want = forwardReference(model, input);
  for (const [name, values] of got) expectClose(values, want.get(name)!, 1e-3, `tensor ${name}`);
  expect(gpu.isKept('fc8')).toBe(false);
  expect([...got.keys()]).toContain('flatten');
});

it('VGG19 with seeded random weights: a full backtrack from the top class equals the reference, both rules', async () => {
  expect(gpu, 'the forward test runs first').not.toBeNull();
  backtracker = await GpuBacktracker.create(gpu!);
  const activations = await gpu!.readActivations();
  const scores = activations.get(model.output)!;
  const top = scores.indexOf(Math.max(...scores));
  for (const rule of rules) {
    const { tree, backtrackMs } = await backtracker.run(top, rule);
    const { nearTies, explainedDifferences } = expectTreeMatchesReference(model, activations, tree, rule, `VGG19 ${rule}`);
    explainedDifferences.forEach((d) => console.log(d));
    console.log(`VGG19 ${rule}: ${tree.levels.map((l) => l.nodes.length).join(' ')} nodes per level, ${nearTies.length} near-ties, GPU ${backtrackMs.toFixed(0)} ms`);
    expect(tree.levels[tree.levels.length - 1].nodes.length).toBeGreaterThan(0);
  }
});
