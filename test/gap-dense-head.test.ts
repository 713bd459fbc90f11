import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Explainer } from '../src/explain/explain.ts';
import { gapHeadAsDense, hasConvGapHead } from '../src/graph/gap-dense-head.ts';
import { inputTensor, type Architecture, type ArchitectureNode, type Model } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { decodeImageFile } from '../src/image/decode-node.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { elementCount } from '../src/model/shapes.ts';
import { rules } from '../src/ops/common/rules.ts';
import { backtrackReference } from '../src/reference/backtrack.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { testGpu } from './helpers/gpu.ts';
import { randomInput } from './helpers/nets.ts';
import { describeWithSharedData } from './helpers/shared-data.ts';
import { expectTreeMatchesReference } from './helpers/tree-compare.ts';

const explainers: Explainer[] = [];
afterAll(() => explainers.forEach((e) => e.destroy()));

function headArchitecture(head: Partial<ArchitectureNode> = {}): Architecture {
  const nodes = [
    { kind: 'conv2d', name: 'c1', inputs: [inputTensor], output: 'c1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 6, activation: 'leaky' },
    { kind: 'maxpool', name: 'p1', inputs: ['c1'], output: 'p1', size: 2, stride: 2 },
    { kind: 'conv2d', name: 'classes', inputs: ['p1'], output: 'classes', kernel: 1, stride: 1, padding: 0, inChannels: 6, outChannels: 5, activation: 'linear', ...head },
    { kind: 'globalAvgPool', name: 'gap', inputs: ['classes'], output: 'gap' },
    { kind: 'softmax', name: 'prob', inputs: ['gap'], output: 'prob' },
  ] as ArchitectureNode[];
  return { name: 'conv-gap', input: { channels: 3, height: 12, width: 10 }, preprocess: unitRgbPreprocess(10, 12), nodes, output: 'prob' };
}

const scores = (model: Model, input: Float32Array) => forwardReference(model, input).get(model.output)!;
const relativeError = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / Math.max(...a.map(Math.abs));

describe('GAP head as dense', () => {
  it('rewrites a linear 1×1 conv → GAP head into GAP → dense with the same weights: the same scores', () => {
    const model = randomModel(headArchitecture(), 7);
    const dense = gapHeadAsDense(model)!;
    expect(dense.nodes.map((n) => `${n.kind}:${n.name}<${n.inputs.join(',')}`)).toEqual([
      'conv2d:c1<input', 'maxpool:p1<c1', 'globalAvgPool:gap<p1', 'dense:classes<p1_gap', 'softmax:prob<gap',
    ]);
    const classes = dense.nodes.find((n) => n.name === 'classes')!;
    expect(classes.kind === 'dense' && classes.weight).toBe(model.nodes[2].kind === 'conv2d' && model.nodes[2].weight);
    for (let seed = 0; seed < 5; seed++) {
      const input = randomInput(elementCount(model.input), seed);
      expect(relativeError(scores(model, input), scores(dense, input))).toBeLessThan(1e-6);
    }
    expect(hasConvGapHead(dense)).toBe(false);
  });

  it('leaves heads alone where the pool and the conv do not commute (a 3×3 kernel, stride, activation, groups)', () => {
    for (const head of [{ stride: 2 }, { activation: 'relu' }, { groups: 3, inChannels: 6, outChannels: 6 }, { kernel: 3, padding: 1 }] as Partial<ArchitectureNode>[]) {
      const model = randomModel(headArchitecture(head), 3);
      expect(hasConvGapHead(model)).toBe(false);
      expect(gapHeadAsDense(model)).toBeNull();
    }
  });

  it('on the GPU, both forms give the same top class and the trees equal the reference; official keeps more than one fixation', async () => {
    const model = randomModel(headArchitecture(), 11);
    const dense = gapHeadAsDense(model)!;
    const explainer = await Explainer.create(await testGpu(), dense);
    explainers.push(explainer);
    const input = randomInput(elementCount(model.input), 5);
    const result = await explainer.gpuModel.runTensor(input);
    const activations = await explainer.gpuModel.readActivations();
    const top = result.scores.indexOf(Math.max(...result.scores));
    expect(top).toBe(Array.from(scores(model, input)).indexOf(Math.max(...scores(model, input))));
    for (const rule of rules) {
      const tree = await explainer.backtracker.run(top, rule);
      expectTreeMatchesReference(dense, activations, tree.tree, rule, `dense head ${rule}`);
    }
    const official = backtrackReference(dense, activations, top, 'official');
    const officialConv = backtrackReference(model, forwardReference(model, input), top, 'official');
    expect(officialConv.levels.at(-1)!.nodes.length).toBe(1);
    expect(official.levels.at(-1)!.nodes.length).toBeGreaterThan(1);
  });
});

describeWithSharedData('GAP head as dense on Tiny Darknet', 'tiny-darknet', (dir) => {
  it('has the head, and the rewritten model gives the same scores and top-5 on its photos', async () => {
    const model = await loadModelFile(`${dir}/tiny.cfg`);
    expect(hasConvGapHead(model)).toBe(true);
    const dense = gapHeadAsDense(model)!;
    expect(dense.nodes.length).toBe(model.nodes.length);
    for (const file of readdirSync(`${dir}/images`).sort().slice(0, 2)) {
      const input = preprocessReference(await decodeImageFile(`${dir}/images/${file}`), model.preprocess);
      const a = scores(model, input);
      const b = scores(dense, input);
      expect(relativeError(a, b)).toBeLessThan(1e-5);
      const top5 = (s: Float32Array) => Array.from(s.keys()).sort((i, j) => s[j] - s[i]).slice(0, 5);
      expect(top5(b)).toEqual(top5(a));
    }
  });
});
