import { foldedGrid } from '../../gpu/dispatch.ts';
import { Kernel } from '../../gpu/kernel.ts';
import type { BacktrackHost, BacktrackStep } from '../common/op-definition.ts';
import { DenseOp } from './forward.ts';
import { keepsTopOnly, type DenseLayer } from './spec.ts';

/** vec4s of inputs one invocation of backtrack_dense_inputs.wgsl owns: fewer loop trips over the memory vector. */
const denseInputVec4s = 4;

/**
 * Over the forward pass's own weight chunks: at the official boundary each node selects its top contributor
 * (backtrack_dense.wgsl); otherwise the inputs select themselves and count each node's positive contributions (its
 * out-degree) in the same read of the weights (backtrack_dense_inputs.wgsl), with no atomic per edge.
 */
export const denseBacktrack: BacktrackHost<DenseLayer> = {
  async prepare(context, layer, forwardOp) {
    if (!(forwardOp instanceof DenseOp)) throw new Error(`${layer.name}: expected a dense op`);
    const [rows, inputs] = await Promise.all([
      Kernel.create(context, { shader: 'ops/dense/backtrack_dense' }),
      Kernel.create(context, { shader: 'ops/dense/backtrack_dense_inputs', defines: { VEC4S: denseInputVec4s } }),
    ]);
    const rowStride = Math.ceil(layer.inFeatures / 4) * 4;
    const grid = foldedGrid(Math.ceil(layer.inFeatures / (4 * denseInputVec4s)), 64);
    return {
      steps: (env) => {
        const topOnly = keepsTopOnly(env.site);
        const steps: BacktrackStep[] = [];
        for (const chunk of forwardOp.weights.chunks) {
          const params = { inFeatures: layer.inFeatures, rowStride, chunkFirstRow: chunk.first, chunkRows: chunk.count, vectorAbove: env.vectorAbove, parentTag: env.parentTag };
          steps.push(
            topOnly
              ? env.indirect(rows, { ...env.shared, weights: chunk.buffer }, params)
              : env.direct(inputs, { ...env.shared, weights: chunk.buffer }, params, grid),
          );
        }
        return steps;
      },
      destroy: () => {},
    };
  },
};
