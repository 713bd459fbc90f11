/**
 * The CPU reference backward against central finite differences of the CPU reference forward: every op alone, and
 * small random graphs through every op. The forward rounds each op's output to float32 (sums in float64), so the
 * step is h/2 = 5·10⁻³, where rounding costs ~10⁻⁵; inputs at a kink (a ReLU or a max-pool's argmax flips within h;
 * see centralDifference) are redrawn (ops alone) or skipped (graphs, at most 10 %).
 * Bound: |finite difference − gradient| ≤ 10⁻³ · max |gradient| + 10⁻⁴ for every element compared.
 */
import { describe, expect, it } from 'vitest';
import { gradientKeeps, gradientPath, scoreTensor } from '../src/graph/gradient-path.ts';
import { graphOf, inputTensor, type Model } from '../src/graph/model.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import type { TensorShape } from '../src/model/shapes.ts';
import type { Layer } from '../src/ops/layers.ts';
import { opOf } from '../src/ops/registry.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { gradientReference } from '../src/reference/gradient.ts';
import { gradientArchitectures, opCaseInputs, opCaseLayer, opCases, type OpCase } from './helpers/gradient-nets.ts';
import { randomInput } from './helpers/nets.ts';

const h = 1e-2;
const relative = 1e-3;
/** Float32 rounding of O(1) values over a step of 5·10⁻³, through a graph's every op. */
const absolute = 1e-4;

function outShapeOf(c: OpCase): TensorShape {
  return opOf(c.spec).outputShape(c.spec, c.inShapes);
}

/** Σ r·out for a fixed random r: a scalar whose gradient with respect to the output is r. */
function projected(layer: Layer, c: OpCase, inputs: Float32Array[], r: Float64Array): number {
  const out = opOf(layer).reference.forward(layer, inputs, c.inShapes, outShapeOf(c));
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += r[i] * out[i];
  return sum;
}

/**
 * The central difference of f at element i with step h/2, or null at a kink (a ReLU or an argmax flips within h).
 * With C(t) the central and D(t) the forward less the backward difference at step t: for a smooth f C(h) − C(h/2) is
 * O(h²) and D(h) − 2·D(h/2) O(h³); a kink at distance d from x moves the first by Δ·d / 2h and the second by
 * Δ·(3d/h − 1) (Δ the change of slope), so one of them shows it.
 */
function centralDifference(f: (x: Float32Array) => number, x: Float32Array, i: number, scale: number): number | null {
  const at = (step: number) => {
    const moved = Float32Array.from(x);
    moved[i] += step;
    // The step as float32 took it.
    return { value: f(moved), step: moved[i] - x[i] };
  };
  const here = f(x);
  const [up, down, halfUp, halfDown] = [at(h), at(-h), at(h / 2), at(-h / 2)];
  const central = (p: typeof up, m: typeof up) => (p.value - m.value) / (p.step - m.step);
  const oneSided = (p: typeof up, m: typeof up) => (p.value - here) / p.step - (here - m.value) / -m.step;
  const bound = relative * scale + absolute;
  const estimate = central(halfUp, halfDown);
  if (Math.abs(central(up, down) - estimate) > bound || Math.abs(oneSided(up, down) - 2 * oneSided(halfUp, halfDown)) > bound) return null;
  return estimate;
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

/** Finite differences of every element of x, or null when one is at a kink. */
function differences(f: (x: Float32Array) => number, x: Float32Array, scale: number): Float64Array | null {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = centralDifference(f, x, i, scale);
    if (d === null) return null;
    out[i] = d;
  }
  return out;
}

describe('op gradients (CPU reference) against finite differences', () => {
  for (const c of opCases) {
    it(c.what, () => {
      const outShape = outShapeOf(c);
      const rng = seededRandom(7);
      const r = Float64Array.from({ length: outShape.channels * outShape.height * outShape.width }, () => 2 * rng() - 1);
      for (let inputIndex = 0; inputIndex < c.inShapes.length; inputIndex++) {
        let checked = false;
        for (let seed = 1; seed <= 40 && !checked; seed++) {
          const layer = opCaseLayer(c, seed);
          const inputs = opCaseInputs(c, 1000 + seed);
          const output = opOf(layer).reference.forward(layer, inputs, c.inShapes, outShape);
          const gradient = opOf(layer).gradient.reference.input(layer, inputIndex, r, inputs, output, c.inShapes, outShape);
          expect(gradient.length).toBe(inputs[inputIndex].length);
          const f = (x: Float32Array) => projected(layer, c, inputs.map((input, i) => (i === inputIndex ? x : input)), r);
          const fd = differences(f, inputs[inputIndex], maxAbs(gradient));
          if (!fd) continue;
          const error = maxAbs(fd.map((d, i) => d - gradient[i]));
          expect(error, `${c.what}, input ${inputIndex}, seed ${seed}: max error ${error} of max ${maxAbs(gradient)}`).toBeLessThanOrEqual(
            relative * maxAbs(gradient) + absolute,
          );
          // A gradient of zeros would pass against zeros: the op must have reacted to its input.
          expect(maxAbs(gradient)).toBeGreaterThan(1e-3);
          checked = true;
        }
        expect(checked, `${c.what}: no seed of 40 kept its inputs away from kinks`).toBe(true);
      }
    });
  }
});

/** The forward reference with `tensor` replaced by `value` (nodes before it still run; their result is dropped). */
function scoreWith(model: Model, input: Float32Array, tensor: string, value: Float32Array, target: number): number {
  const graph = graphOf(model);
  const activations = new Map([[inputTensor, tensor === inputTensor ? value : input]]);
  for (const node of model.nodes) {
    const inputs = node.inputs.map((t) => activations.get(t)!);
    const inShapes = node.inputs.map((t) => graph.shapes.get(t)!);
    const out = node.output === tensor ? value : opOf(node).reference.forward(node, inputs, inShapes, graph.shapes.get(node.output)!);
    activations.set(node.output, out);
  }
  return activations.get(scoreTensor(model))![target];
}

describe('graph gradients (CPU reference) against finite differences', () => {
  for (const arch of gradientArchitectures()) {
    it(`${arch.name}: d logit / d every tensor on the way, sampled`, () => {
      const model = randomModel(arch, 11);
      const graph = graphOf(model);
      const input = randomInput(graph.shapes.get(inputTensor)!.channels * arch.input.height * arch.input.width, 5);
      const activations = forwardReference(model, input);
      const tensors = graph.tensors.filter((t) => t !== model.output && t !== scoreTensor(model));
      for (const target of [0, 3]) {
        const gradients = gradientReference(model, activations, target, tensors);
        let compared = 0;
        let skipped = 0;
        for (const tensor of tensors) {
          const gradient = gradients.get(tensor)!;
          const x = activations.get(tensor)!;
          const scale = maxAbs(gradient);
          expect(scale, `${tensor}: the gradient is all zeros`).toBeGreaterThan(0);
          const rng = seededRandom(tensor.length * 31 + target);
          for (let k = 0; k < 12; k++) {
            const i = Math.floor(rng() * x.length);
            const f = (value: Float32Array) => scoreWith(model, input, tensor, value, target);
            const d = centralDifference(f, x, i, scale);
            if (d === null) {
              skipped++;
              continue;
            }
            compared++;
            expect(Math.abs(d - gradient[i]), `${arch.name}: d logit ${target} / d ${tensor}[${i}]`).toBeLessThanOrEqual(relative * scale + absolute);
          }
        }
        expect(skipped, `${arch.name}: ${skipped} of ${compared + skipped} samples sat at a kink`).toBeLessThanOrEqual(0.1 * (compared + skipped));
      }
    });
  }

  it('sums a tensor read by several nodes, and plans only what lies between the layer and the score', () => {
    const model = randomModel(gradientArchitectures()[0], 3);
    const path = gradientPath(model, ['c1']);
    // c1 is read by dw, the add and the average pool: three contributions, the later two added.
    const intoC1 = path.steps.filter((s) => s.node.inputs[s.inputIndex] === 'c1');
    expect(intoC1.map((s) => [s.node.name, s.accumulate])).toEqual([
      ['ap', false],
      ['sum', true],
      ['dw', true],
    ]);
    expect(path.tensors.has(inputTensor)).toBe(false);
    expect(path.score).toBe('gap');
    // From the last spatial tensor only the GAP's step; it reads nothing.
    expect(gradientPath(model, ['c2']).steps.map((s) => s.node.name)).toEqual(['gap']);
    expect(gradientKeeps(model, 'c2')).toEqual(['c2']);
    // The leaky act, the LRN's input, the max-pool's input, the activations of sum / asym / dw, c2 is linear.
    expect(new Set(gradientKeeps(model, 'c1'))).toEqual(new Set(['c1', 'act', 'cat', 'sum', 'asym', 'dw']));
    expect(() => gradientPath(model, ['prob'])).toThrow(/"prob" does not lead to the scores "gap"/);
    expect(() => gradientPath(model, ['nope'])).toThrow(/has no tensor "nope"/);
  });
});

describe('op gradients at ties and kinks (no finite difference there)', () => {
  const one = Float64Array.of(1);
  it('a max-pool sends the gradient to the lowest of tied positions, never into the padding', () => {
    const pool = opOf({ kind: 'maxpool' }).gradient.reference;
    const shape = { channels: 1, height: 2, width: 2 };
    const tied = Float32Array.of(-1, 5, 5, 5);
    const layer = { kind: 'maxpool', name: 'p', size: 2, stride: 2 } as Layer;
    expect(Array.from(pool.input(layer, 0, one, [tied], Float32Array.of(5), [shape], { channels: 1, height: 1, width: 1 }))).toEqual([0, 1, 0, 0]);
    // 3×3/2 padded by 1 over 2×2 of negatives: one window, all four inside; the padding (−∞) never wins.
    const padded = { kind: 'maxpool', name: 'p', size: 3, stride: 2, padding: 1 } as Layer;
    const negatives = Float32Array.of(-4, -3, -2, -3);
    expect(Array.from(pool.input(padded, 0, one, [negatives], Float32Array.of(-2), [shape], { channels: 1, height: 1, width: 1 }))).toEqual([0, 0, 1, 0]);
  });

  it('fused activations decide from the output: relu and relu6 pass strictly inside, leaky keeps its slope at 0', () => {
    const act = opOf({ kind: 'activation' }).gradient.reference;
    const shape = { channels: 5, height: 1, width: 1 };
    const g = Float64Array.of(1, 1, 1, 1, 1);
    const out = Float32Array.of(0, 2, 6, -0.1, 7);
    const derivative = (activation: string) =>
      Array.from(act.input({ kind: 'activation', name: 'a', activation } as Layer, 0, g, [new Float32Array(5)], out, [shape], shape));
    expect(derivative('relu')).toEqual([0, 1, 1, 0, 1]);
    expect(derivative('relu6')).toEqual([0, 1, 0, 0, 0]);
    expect(derivative('leaky')).toEqual([0.1, 1, 1, 0.1, 1]);
    expect(derivative('linear')).toEqual([1, 1, 1, 1, 1]);
  });
});
