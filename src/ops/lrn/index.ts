import { Dispatch, foldedGrid } from '../../gpu/dispatch.ts';
import { ModelShapeError, type TensorShape } from '../../model/shapes.ts';
import type { OpDefinition } from '../common/op-definition.ts';
import { sameNodeBacktrack, sameNodeChoice } from '../common/same-node.ts';
import { lrnGradientReference } from './gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';
import type { LrnSpec } from './spec.ts';

export type { LrnSpec } from './spec.ts';

function lrnOutputShape(layer: LrnSpec, [input]: TensorShape[]): TensorShape {
  if (!Number.isInteger(layer.size) || layer.size < 1) throw new ModelShapeError(`${layer.name}: LRN size ${layer.size} is not a positive integer`);
  // A positive base keeps the power defined for any beta.
  if (!(layer.bias > 0) || !(layer.alpha >= 0) || !Number.isFinite(layer.alpha) || !Number.isFinite(layer.bias) || !Number.isFinite(layer.beta)) {
    throw new ModelShapeError(`${layer.name}: LRN needs bias > 0 and alpha ≥ 0, finite (bias ${layer.bias}, alpha ${layer.alpha}, beta ${layer.beta})`);
  }
  return input;
}

/** Channels of the window before and after the centre. */
export function lrnWindow(size: number): { before: number; after: number } {
  return { before: Math.floor((size - 1) / 2), after: Math.ceil((size - 1) / 2) };
}

function lrnReference(layer: LrnSpec, input: Float32Array, shape: TensorShape): Float32Array {
  const plane = shape.height * shape.width;
  const { before, after } = lrnWindow(layer.size);
  const out = new Float32Array(input.length);
  for (let c = 0; c < shape.channels; c++) {
    for (let p = 0; p < plane; p++) {
      let squares = 0;
      for (let j = Math.max(0, c - before); j <= Math.min(shape.channels - 1, c + after); j++) squares += input[j * plane + p] ** 2;
      out[c * plane + p] = input[c * plane + p] / (layer.bias + (layer.alpha / layer.size) * squares) ** layer.beta;
    }
  }
  return out;
}

export const lrnOp: OpDefinition<LrnSpec> = {
  inputs: { min: 1, max: 1 },
  outputShape: lrnOutputShape,
  readSpec: (f, name) => ({ kind: 'lrn', name, size: f.integer('size', 1), alpha: f.finite('alpha'), beta: f.finite('beta'), bias: f.finite('bias') }),
  sameNode: true,
  fanOut: () => 1,
  forward: {
    create: (context, layer, [input], output) => {
      const vec4s = output.shape.height * output.shape.width * output.c4 * output.batch;
      const [x, y] = foldedGrid(vec4s, 64);
      return Dispatch.create(
        context,
        { shader: 'ops/lrn/lrn' },
        { vec4s, c4: output.c4, channels: input.shape.channels, ...lrnWindow(layer.size), alphaOverSize: layer.alpha / layer.size, beta: layer.beta, bias: layer.bias },
        { input: input.buffer, output: output.buffer },
        [x * 64, y],
      );
    },
  },
  backtrack: sameNodeBacktrack,
  reference: {
    forward: (layer, [input], [shape]) => lrnReference(layer, input, shape),
    select: (_layer, _site, _inputs, node) => sameNodeChoice(node),
  },
  gradient: {
    reads: () => ({ inputs: [0], output: false }),
    reference: lrnGradientReference,
    host: oneKernelGradient({
      shader: 'ops/lrn/gradient_lrn',
      binds: { input: true },
      uniforms: (layer) => ({ ...lrnWindow(layer.size), alphaOverSize: layer.alpha / layer.size, beta: layer.beta, bias: layer.bias }),
    }),
  },
};
