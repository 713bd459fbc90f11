import { Dispatch, foldedGrid } from '../../gpu/dispatch.ts';
import { Kernel } from '../../gpu/kernel.ts';
import { formatShape, ModelShapeError, type TensorShape } from '../../model/shapes.ts';
import { activate, activationCode, activations } from '../common/activation.ts';
import type { BacktrackSite, Choice, OpDefinition } from '../common/op-definition.ts';
import { activationReads } from '../common/gradient.ts';
import { addGradientReference } from './gradient.ts';
import { activationSlopeGradient } from '../common/gradient-host.ts';
import type { AddSpec } from './spec.ts';

export type { AddSpec } from './spec.ts';

function addOutputShape(layer: AddSpec, [a, b]: TensorShape[]): TensorShape {
  if (a.channels !== b.channels || a.height !== b.height || a.width !== b.width) {
    throw new ModelShapeError(`${layer.name}: adds tensors of different shapes (${formatShape(a)} and ${formatShape(b)})`);
  }
  return a;
}

/**
 * Whether output node `node` selects the same node of input `inputIndex`. `official`: the larger summand there (ties:
 * the first input); `hysm`: every positive summand, or the larger when none is (the fc rule applied to a sum).
 */
export function addSelects(site: Pick<BacktrackSite, 'rule' | 'inputIndex'>, mine: number, theirs: number): boolean {
  const larger = mine > theirs || (mine === theirs && site.inputIndex === 0);
  return site.rule === 'hysm' ? mine > 0 || (theirs <= 0 && larger) : larger;
}

function selectAdd(site: BacktrackSite, inputs: Float32Array[], node: number): Choice {
  const mine = inputs[site.inputIndex][node];
  const theirs = inputs[1 - site.inputIndex][node];
  return { children: addSelects(site, mine, theirs) ? [node] : [], alternatives: null };
}

export const addOp: OpDefinition<AddSpec> = {
  inputs: { min: 2, max: 2 },
  outputShape: addOutputShape,
  readSpec: (f, name) => ({ kind: 'add', name, activation: f.oneOf('activation', activations) }),
  fanOut: () => 1,
  forward: {
    create: (context, layer, [first, second], output) => {
      const vec4s = output.shape.height * output.shape.width * output.c4 * output.batch;
      return Dispatch.create(
        context,
        { shader: 'ops/add/add' },
        { vec4s, activation: activationCode(layer.activation) },
        { first: first.buffer, second: second.buffer, output: output.buffer },
        [foldedGrid(vec4s, 64)[0] * 64, foldedGrid(vec4s, 64)[1]],
      );
    },
  },
  backtrack: {
    async prepare(context) {
      const kernel = await Kernel.create(context, { shader: 'ops/add/backtrack_add' });
      return {
        steps: (env) => [
          env.indirect(kernel, { ...env.shared, other: env.inputs[1 - env.site.inputIndex].buffer }, {
            plane: env.site.outShape.height * env.site.outShape.width,
            pixelStride: env.output.c4 * 4,
            isFirst: env.site.inputIndex === 0 ? 1 : 0,
            hysm: env.site.rule === 'hysm' ? 1 : 0,
            vectorAbove: env.vectorAbove,
            parentTag: env.parentTag,
          }),
        ],
        destroy: () => {},
      };
    },
  },
  reference: {
    forward: (layer, [a, b]) => Float32Array.from(a, (v, i) => activate(v + b[i], layer.activation)),
    select: (_layer, site, inputs, node) => selectAdd(site, inputs, node),
  },
  gradient: {
    reads: activationReads,
    reference: addGradientReference,
    host: activationSlopeGradient(),
  },
};
