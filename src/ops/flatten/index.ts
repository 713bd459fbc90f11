import { Dispatch } from '../../gpu/dispatch.ts';
import type { OpDefinition } from '../common/op-definition.ts';
import { copyReference, sameNodeBacktrack } from '../common/same-node.ts';
import { identityGradient, readsNothing } from '../common/gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';

/** CHW feature map → vector, in CHW order (the order dense weights use). */
export interface FlattenSpec {
  kind: 'flatten';
  name: string;
}

export const flattenOp: OpDefinition<FlattenSpec> = {
  inputs: { min: 1, max: 1 },
  outputShape: (_layer, [input]) => ({ channels: input.channels * input.height * input.width, height: 1, width: 1 }),
  readSpec: (_f, name) => ({ kind: 'flatten', name }),
  sameNode: true,
  fanOut: () => 1,
  forward: {
    create: (context, _layer, [input], output) => {
      const { channels, width, height } = input.shape;
      return Dispatch.create(
        context,
        { shader: 'ops/flatten/flatten' },
        { width, height, channels, paddedChannels: input.c4 * 4, outStride: output.c4 * 4 },
        { input: input.buffer, output: output.buffer },
        [channels * width * height, 1, input.batch],
      );
    },
  },
  backtrack: sameNodeBacktrack,
  reference: copyReference,
  gradient: { reads: readsNothing, reference: identityGradient, host: oneKernelGradient({ shader: 'ops/flatten/gradient_flatten' }) },
};
