import { Dispatch, foldedGrid } from '../../gpu/dispatch.ts';
import { activate, activationCode, activations } from '../common/activation.ts';
import type { OpDefinition } from '../common/op-definition.ts';
import { sameNodeBacktrack, sameNodeChoice } from '../common/same-node.ts';
import { activationReads } from '../common/gradient.ts';
import { activationGradientReference } from './gradient.ts';
import { activationSlopeGradient } from '../common/gradient-host.ts';
import type { ActivationSpec } from './spec.ts';

export type { ActivationSpec } from './spec.ts';

export const activationOp: OpDefinition<ActivationSpec> = {
  inputs: { min: 1, max: 1 },
  outputShape: (_layer, [input]) => input,
  readSpec: (f, name) => ({ kind: 'activation', name, activation: f.oneOf('activation', activations) }),
  sameNode: true,
  fanOut: () => 1,
  forward: {
    create: (context, layer, [input], output) => {
      const vec4s = output.shape.height * output.shape.width * output.c4 * output.batch;
      const [x, y] = foldedGrid(vec4s, 64);
      return Dispatch.create(
        context,
        { shader: 'ops/activation/activation' },
        { vec4s, activation: activationCode(layer.activation) },
        { input: input.buffer, output: output.buffer },
        [x * 64, y],
      );
    },
  },
  backtrack: sameNodeBacktrack,
  reference: {
    forward: (layer, [input]) => Float32Array.from(input, (v) => activate(v, layer.activation)),
    select: (_layer, _site, _inputs, node) => sameNodeChoice(node),
  },
  gradient: {
    reads: activationReads,
    reference: activationGradientReference,
    host: activationSlopeGradient(),
  },
};
