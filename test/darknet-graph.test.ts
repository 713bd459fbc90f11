import { afterAll, describe, expect, it } from 'vitest';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { seededRandom } from '../src/graph/random-model.ts';
import { loadDarknet } from '../src/loaders/darknet.ts';
import { elementCount } from '../src/model/shapes.ts';
import { rules } from '../src/ops/common/rules.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

/** A darknet classifier with a residual [shortcut] and a two-layer [route], as Darknet-53 and YOLO cfgs write them. */
const cfg = `[net]
width=8
height=8
channels=3

[convolutional]
filters=4
size=3
stride=1
pad=1
activation=leaky

[convolutional]
filters=4
size=3
stride=1
pad=1
activation=linear

[shortcut]
from=-2
activation=leaky

[convolutional]
filters=2
size=1
stride=1
activation=leaky

[route]
layers=-1,-2

[convolutional]
filters=5
size=1
stride=1
activation=linear

[avgpool]

[softmax]
`;

/** Header (version 0.2, 64-bit seen) and the 305 floats the cfg needs: 112 + 148 + 10 + 35. */
function weightsFile(floats: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(20 + floats * 4);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 0, true);
  view.setInt32(4, 2, true);
  const random = seededRandom(seed);
  for (let i = 0; i < floats; i++) view.setFloat32(20 + i * 4, (random() * 2 - 1) * 0.5, true);
  return bytes;
}

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

describe('darknet cfgs with [shortcut] and [route] load as graphs', () => {
  it('wires the residual add and the concatenation, reading every weight', () => {
    const model = loadDarknet({ cfg, weights: weightsFile(305, 1), cfgName: 'res.cfg' });
    expect(model.nodes.map((n) => `${n.kind} ${n.name} ← ${n.inputs.join(' + ')}`)).toEqual([
      'conv2d conv1 ← input',
      'conv2d conv2 ← conv1',
      'add shortcut1 ← conv1 + conv2',
      'conv2d conv3 ← shortcut1',
      'concat route1 ← conv3 + shortcut1',
      'conv2d conv4 ← route1',
      'globalAvgPool avgpool1 ← conv4',
      'softmax softmax ← avgpool1',
    ]);
    expect(() => loadDarknet({ cfg, weights: weightsFile(304, 1), cfgName: 'res.cfg', weightsName: 'res.weights' })).toThrow(/res\.weights: ends at byte/);
    expect(() => loadDarknet({ cfg, weights: weightsFile(306, 1), cfgName: 'res.cfg', weightsName: 'res.weights' })).toThrow(/res\.weights: has 4 bytes left over/);
  });

  it('rejects routes and shortcuts to layers that are not there, or of the wrong size, naming the line', () => {
    const load = (text: string) => () => loadDarknet({ cfg: text, weights: weightsFile(305, 1), cfgName: 'bad.cfg' });
    expect(load(cfg.replace('from=-2', 'from=-7'))).toThrow(/bad\.cfg: \[shortcut\] at line \d+: layer -7 is not an earlier layer \(this is layer 2\)/);
    expect(load(cfg.replace('layers=-1,-2', 'layers=-1,x'))).toThrow(/bad\.cfg: \[route\] at line \d+: layers=-1,x is not a list of layer numbers/);
    const strided = cfg.replace('filters=4\nsize=3\nstride=1\npad=1\nactivation=linear', 'filters=4\nsize=3\nstride=2\npad=1\nactivation=linear');
    expect(load(strided)).toThrow(/bad\.cfg: \[shortcut\] at line \d+: adds 4×8×8 to 4×4×4/);
  });

  it('runs on the GPU as the CPU reference does, and backtracks through both branches, both rules', async () => {
    const model = loadDarknet({ cfg, weights: weightsFile(305, 2), cfgName: 'res.cfg' });
    const gpu = await GpuModel.create(await testGpu(), model);
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
    const input = randomInput(elementCount(model.input), 3);
    await gpu.runTensor(input);
    const activations = await gpu.readActivations();
    const want = forwardReference(model, input);
    for (const [name, values] of activations) expectClose(values, want.get(name)!, 1e-4, name);
    for (const rule of rules) {
      for (let target = 0; target < 5; target++) {
        const { tree } = await backtracker.run(target, rule);
        expectTreeMatchesReference(model, activations, tree, rule, `class ${target} ${rule}`);
        expect(tree.levels.find((l) => l.name === 'shortcut1')!.parentTensors).toEqual(['conv3', 'route1']);
      }
    }
  });
});
