import { Dispatch, foldedGrid } from '../../gpu/dispatch.ts';
import type { GpuContext } from '../../gpu/context.ts';
import type { TensorShape } from '../../model/shapes.ts';
import { activationCode, type Activation } from './activation.ts';
import type { GradientEnv, GradientHost } from './op-definition.ts';

/** What one op's backward kernel needs beyond the shared header (shaders/include/gradient_store.wgsl). */
export interface GradientKernel<L> {
  shader: string;
  /** The op's own uniforms. */
  uniforms?(layer: L, env: GradientEnv, inShapes: TensorShape[], outShape: TensorShape): Record<string, number>;
  /** The forward's activations it binds: `input` the input whose gradient it makes, `output` the node's output. */
  binds?: { input?: boolean; output?: boolean };
  /** Buffers made once per node (weights, scales), bound by name. */
  upload?(context: GpuContext, layer: L): Record<string, GPUBuffer>;
}

/** The shared header's uniforms (shaders/include/gradient_store.wgsl) of a step. */
export function gradientHeader(env: GradientEnv, inShapes: TensorShape[], outShape: TensorShape): Record<string, number> {
  const inShape = inShapes[env.inputIndex];
  return {
    elements: inShape.channels * inShape.height * inShape.width,
    accumulate: env.accumulate ? 1 : 0,
    inChannels: inShape.channels,
    inHeight: inShape.height,
    inWidth: inShape.width,
    inStride: env.inputs[env.inputIndex].c4 * 4,
    outChannels: outShape.channels,
    outHeight: outShape.height,
    outWidth: outShape.width,
    outStride: env.output.c4 * 4,
  };
}

/**
 * The GPU host of a backward that is one kernel, one invocation per element of the input's gradient: the shared
 * header's uniforms (sizes, strides, `accumulate`) and bindings (`outGradient`, `inGradient`) are added here.
 */
export function oneKernelGradient<L>(kernel: GradientKernel<L>): GradientHost<L> {
  return {
    async prepare(context, layer, _forwardOp, inShapes, outShape) {
      const uploaded = kernel.upload?.(context, layer) ?? {};
      return {
        step(env) {
          const header = gradientHeader(env, inShapes, outShape);
          const [x, y] = foldedGrid(header.elements, 64);
          const activations: Record<string, GPUBuffer> = {};
          if (kernel.binds?.input) activations.input = env.inputs[env.inputIndex].buffer;
          if (kernel.binds?.output) activations.output = env.output.buffer;
          return Dispatch.create(
            context,
            { shader: kernel.shader },
            { ...header, ...kernel.uniforms?.(layer, env, inShapes, outShape) },
            { ...uploaded, ...activations, outGradient: env.outGradient, inGradient: env.inGradient },
            [x * 64, y],
          );
        },
        destroy: () => Object.values(uploaded).forEach((b) => b.destroy()),
      };
    },
  };
}

/**
 * The backward of an op whose output is an activation of its input or of the sum of its inputs (a standalone
 * activation, add): the output gradient times the activation's slope at the output, for every input alike.
 */
export function activationSlopeGradient<L extends { activation: Activation }>(): GradientHost<L> {
  return oneKernelGradient<L>({
    shader: 'ops/common/gradient_activation_slope',
    binds: { output: true },
    uniforms: (layer) => ({ activation: activationCode(layer.activation) }),
  });
}
