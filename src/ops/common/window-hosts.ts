import { Dispatch, foldedGrid } from '../../gpu/dispatch.ts';
import { Kernel } from '../../gpu/kernel.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import type { BacktrackEnv, BacktrackHost, ForwardHost } from './op-definition.ts';

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

/**
 * The forward host of an op that is one window kernel (pools): one invocation per output vec4, the grid folded past
 * the per-dimension limit, its z the image of a batch; the input's and output's sizes are added to its uniforms.
 */
export function oneKernelForward<L>(shader: string, uniforms: (layer: L) => Record<string, number> = () => ({})): ForwardHost<L> {
  return {
    create: (context, layer, [input], output: GpuTensor) => {
      const [x, y] = foldedGrid(output.shape.width * output.shape.height * output.c4, 64);
      return Dispatch.create(
        context,
        { shader },
        { inWidth: input.shape.width, inHeight: input.shape.height, c4: input.c4, outWidth: output.shape.width, outHeight: output.shape.height, ...uniforms(layer) },
        { input: input.buffer, output: output.buffer },
        [x * 64, y, output.batch],
      );
    },
  };
}
