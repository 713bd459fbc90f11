import { afterAll, describe, expect, it } from 'vitest';
import { GpuBacktracker } from '../src/backtrack/gpu-backtracker.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { buildGraph, inputTensor, type Architecture, type ArchitectureNode } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { elementCount } from '../src/model/shapes.ts';
import { rules } from '../src/ops/common/rules.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { encodeConvertedModel } from '../src/weights/encode-converted.ts';
import { loadConvertedModel } from '../src/loaders/converted.ts';
import { expectClose } from './helpers/compare.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((f) => f()));

const conv = (name: string, input: string, inChannels: number, outChannels: number, kernel = 3, stride = 1, activation: 'relu' | 'linear' | 'leaky' = 'relu'): ArchitectureNode => ({
  kind: 'conv2d', name, inputs: [input], output: name, kernel, stride, padding: kernel === 3 ? 1 : 0, inChannels, outChannels, activation,
});

/**
 * Two residual blocks: an identity skip (`stem` read by the block's conv and by its add) and a projection skip (a
 * strided 1×1 conv beside two 3×3 convs), then a tensor read by three nodes (two adds and a conv), a GAP head.
 */
function residualArchitecture(): Architecture {
  const nodes: ArchitectureNode[] = [
    conv('stem', inputTensor, 3, 8),
    conv('b1a', 'stem', 8, 8),
    conv('b1b', 'b1a', 8, 8, 3, 1, 'linear'),
    { kind: 'add', name: 'b1', inputs: ['stem', 'b1b'], output: 'b1', activation: 'relu' },
    conv('b2a', 'b1', 8, 12, 3, 2),
    conv('b2b', 'b2a', 12, 12, 3, 1, 'linear'),
    conv('b2skip', 'b1', 8, 12, 1, 2, 'linear'),
    { kind: 'add', name: 'b2', inputs: ['b2b', 'b2skip'], output: 'b2', activation: 'relu' },
    conv('b3a', 'b2', 12, 12, 1, 1, 'leaky'),
    { kind: 'add', name: 'b3', inputs: ['b2', 'b3a'], output: 'b3', activation: 'linear' },
    { kind: 'add', name: 'b4', inputs: ['b3', 'b2'], output: 'b4', activation: 'relu' },
    conv('head', 'b4', 12, 7, 1, 1, 'linear'),
    { kind: 'globalAvgPool', name: 'gap', inputs: ['head'], output: 'gap' },
    { kind: 'softmax', name: 'prob', inputs: ['gap'], output: 'prob' },
  ];
  return { name: 'residual', input: { channels: 3, height: 11, width: 13 }, preprocess: unitRgbPreprocess(13, 11), nodes, output: 'prob' };
}

describe('graph validation', () => {
  const base = residualArchitecture();
  const build = (nodes: ArchitectureNode[], output = base.output) => () => buildGraph({ ...base, nodes, output });

  it('infers every tensor\'s shape and lists each tensor\'s readers in node order', () => {
    const graph = buildGraph(base);
    expect(graph.shapes.get('b2')).toEqual({ channels: 12, height: 6, width: 7 });
    expect(graph.consumers.get('b2')!.map((c) => `${c.node.name}:${c.inputIndex}`)).toEqual(['b3a:0', 'b3:0', 'b4:1']);
    expect(graph.tensors[0]).toBe(inputTensor);
    expect(graph.tensors.at(-1)).toBe('prob');
  });

  it('rejects a cycle, an unknown tensor, a tensor written twice, a dangling tensor and mismatched shapes, naming the node', () => {
    const nodes = base.nodes;
    const swapped = [nodes[0], nodes[2], nodes[1], ...nodes.slice(3)];
    expect(build(swapped)).toThrow(/b1b reads tensor "b1a" before it is written: the nodes are not in topological order, or they form a cycle/);
    expect(build(nodes.map((n) => (n.name === 'b1' ? { ...n, inputs: ['stem', 'nowhere'] } : n)))).toThrow(/b1 reads tensor "nowhere", which no node writes/);
    expect(build(nodes.map((n) => (n.name === 'b1b' ? { ...n, output: 'b1a' } : n)))).toThrow(/b1b writes tensor "b1a", which b1a writes already/);
    expect(build([...nodes.slice(0, 4), conv('unused', 'b1', 8, 8), ...nodes.slice(4)])).toThrow(/tensor "unused" \(written by unused\) is never read/);
    expect(build(nodes.map((n) => (n.name === 'b2' ? { ...n, inputs: ['b2b', 'b1'] } : n)))).toThrow(/b2: adds tensors of different shapes \(12×6×7 and 8×11×13\)/);
    expect(build(nodes.map((n) => (n.name === 'b2' ? { ...n, inputs: ['b2b'] } : n)))).toThrow(/b2: a add node takes 2 input\(s\), it has 1/);
    expect(build(nodes, 'missing')).toThrow(/the output tensor "missing" is not written by any node/);
  });
});

describe('a residual graph on the GPU equals the CPU reference', () => {
  it('forward: every kept tensor; backtracking: every target, both rules, tensor by tensor and as a whole', async () => {
    const arch = residualArchitecture();
    const model = randomModel(arch, 5);
    const gpu = await GpuModel.create(await testGpu(), model);
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
    expect(backtracker.plan.byTensor.get('b2')!.parentTensors).toEqual(['b3a', 'b3', 'b4']);
    for (const seed of [1, 2, 3]) {
      const input = randomInput(elementCount(arch.input), seed);
      await gpu.runTensor(input);
      const activations = await gpu.readActivations();
      const want = forwardReference(model, input);
      for (const [name, values] of activations) expectClose(values, want.get(name)!, 1e-4, `seed ${seed} tensor ${name}`);
      for (const rule of rules) {
        for (let target = 0; target < 7; target++) {
          const { tree } = await backtracker.run(target, rule);
          const { explainedDifferences } = expectTreeMatchesReference(model, activations, tree, rule, `seed ${seed} class ${target} ${rule}`);
          explainedDifferences.forEach((d) => console.log(d));
          // Both summands of an add can be followed: somewhere in these trees a node has two parents in two tensors.
          const b2 = tree.levels.find((l) => l.name === 'b2')!;
          expect(b2.parentTensors).toEqual(['b3a', 'b3', 'b4']);
        }
      }
    }
  });

  it('hysm follows every positive summand of an add; official the larger one only', async () => {
    const model = randomModel(residualArchitecture(), 8);
    const gpu = await GpuModel.create(await testGpu(), model);
    const backtracker = await GpuBacktracker.create(gpu);
    cleanups.push(() => (backtracker.destroy(), gpu.destroy()));
    await gpu.runTensor(randomInput(elementCount(model.input), 9));
    const official = (await backtracker.run(0, 'official')).tree;
    const hysm = (await backtracker.run(0, 'hysm')).tree;
    const children = (tree: typeof official, tensor: string) => tree.levels.find((l) => l.name === tensor)!.childCounts;
    // An add node selects one summand under official (1 child), one or both under hysm.
    expect(Array.from(children(official, 'b1')).every((c) => c === 1)).toBe(true);
    expect(Array.from(children(hysm, 'b1')).some((c) => c === 2)).toBe(true);
  });

  it('round-trips through the converted format as a graph', async () => {
    const model = randomModel(residualArchitecture(), 11);
    const encoded = encodeConvertedModel(model);
    expect(encoded.manifest.version).toBe(2);
    const files = new Map(encoded.files.map((f) => [f.name, f.bytes()]));
    const loaded = await loadConvertedModel(encoded.json, async (name) => files.get(name)!);
    expect(loaded.nodes.map((n) => [n.name, n.inputs, n.output])).toEqual(model.nodes.map((n) => [n.name, n.inputs, n.output]));
    const input = randomInput(elementCount(model.input), 4);
    expect(forwardReference(loaded, input).get('prob')).toEqual(forwardReference(model, input).get('prob'));
  });
});
