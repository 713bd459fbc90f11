import { Dispatch } from '../../gpu/dispatch.ts';
import { formatShape, isVector, ModelShapeError } from '../../model/shapes.ts';
import type { OpDefinition } from '../common/op-definition.ts';
import { sameNodeBacktrack, sameNodeChoice } from '../common/same-node.ts';
import { softmaxGradientReference } from './gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';

export interface SoftmaxSpec {
  kind: 'softmax';
  name: string;
}

export function softmaxReference(input: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of input) max = Math.max(max, v);
  let total = 0;
  const exps = Array.from(input, (v) => {
    const e = Math.exp(v - max);
    total += e;
    return e;
  });
  return Float32Array.from(exps, (e) => e / total);
}

export const softmaxOp: OpDefinition<SoftmaxSpec> = {
  inputs: { min: 1, max: 1 },
  outputShape: (layer, [input]) => {
    if (!isVector(input)) throw new ModelShapeError(`${layer.name}: softmax needs a vector input (got ${formatShape(input)})`);
    return input;
  },
  readSpec: (_f, name) => ({ kind: 'softmax', name }),
  sameNode: true,
  fanOut: () => 1,
  forward: {
    create: (context, _layer, [input], output) =>
      // One workgroup per image.
      Dispatch.create(context, { shader: 'ops/softmax/softmax' }, { count: input.shape.channels, stride: input.c4 * 4 }, { input: input.buffer, output: output.buffer }, [input.batch]),
  },
  backtrack: sameNodeBacktrack,
  reference: {
    forward: (_layer, [input]) => softmaxReference(input),
    select: (_layer, _site, _inputs, node) => sameNodeChoice(node),
  },
  gradient: {
    reads: () => ({ inputs: [], output: true }),
    reference: softmaxGradientReference,
    host: oneKernelGradient({ shader: 'ops/softmax/gradient_softmax', binds: { output: true } }),
  },
};
