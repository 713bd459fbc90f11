import { Kernel } from '../../gpu/kernel.ts';
import type { BacktrackHost, Choice, OpReference } from './op-definition.ts';

/** Backtracking of ops whose output node n comes from input node n alone (flatten, softmax). */
export const sameNodeBacktrack: BacktrackHost<unknown> = {
  async prepare(context) {
    const kernel = await Kernel.create(context, { shader: 'ops/common/backtrack_same_node' });
    return {
      steps: (env) => {
        const { memoryVector, vectorSizes, selected, selections } = env.shared;
        return [env.indirect(kernel, { memoryVector, vectorSizes, selected, selections }, { vectorAbove: env.vectorAbove, parentTag: env.parentTag })];
      },
      destroy: () => {},
    };
  },
};

export function sameNodeChoice(node: number): Choice {
  return { children: [node], alternatives: null };
}

/** The reference of an op that copies its input (flatten: CHW order is already the flattened order). */
export const copyReference: OpReference<unknown> = {
  forward: (_layer, [input]) => Float32Array.from(input),
  select: (_layer, _site, _inputs, node) => sameNodeChoice(node),
};
