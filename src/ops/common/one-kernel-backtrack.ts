import { Kernel } from '../../gpu/kernel.ts';
import type { BacktrackEnv, BacktrackHost } from './op-definition.ts';

/**
 * The backtracking host of an op whose selection is one kernel over the shared bindings (pools): one invocation per
 * node of the memory vector above, its uniforms from the node and where it runs; the memory-vector fields are added.
 */
export function oneKernelBacktrack<L>(shader: string, uniforms: (layer: L, env: BacktrackEnv) => Record<string, number>): BacktrackHost<L> {
  return {
    async prepare(context, layer) {
      const kernel = await Kernel.create(context, { shader });
      return {
        steps: (env) => [env.indirect(kernel, env.shared, { ...uniforms(layer, env), vectorAbove: env.vectorAbove, parentTag: env.parentTag })],
        destroy: () => {},
      };
    },
  };
}

/** The uniforms every window kernel takes: the input's and the output's sizes, and the input's pixel stride. */
export function windowSizes(env: BacktrackEnv): Record<string, number> {
  const [inShape] = env.site.inShapes;
  return {
    inWidth: inShape.width,
    inHeight: inShape.height,
    inPixelStride: env.inputs[0].c4 * 4,
    outWidth: env.site.outShape.width,
    outHeight: env.site.outShape.height,
  };
}
