import type { GpuContext } from '../../gpu/context.ts';
import type { GpuOp } from '../../gpu/dispatch.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import type { KernelChoices } from '../common/kernel-choices.ts';
import type { ForwardEnv, ForwardHost } from '../common/op-definition.ts';
import { Conv2dDepthwiseOp, depthwiseApplies } from './depthwise.ts';
import { Conv2dOp } from './direct.ts';
import { Conv2dIm2colOp, im2colApplies, im2colBytes } from './im2col.ts';
import { Conv2dPointwiseOp, pointwiseApplies } from './pointwise.ts';
import type { Conv2dLayer } from './spec.ts';
import { Conv2dWinogradOp, winograd2, winogradApplies, winogradWorkspaceBytes, type WinogradVariant } from './winograd.ts';
import { winograd4 } from './winograd4.ts';

const transformedScratch = 'winograd inputs';
const productsScratch = 'winograd products';

/** GEMM weights are not split: a layer whose weights exceed one binding runs as a (split) direct convolution. */
function fitsOneBinding(layer: Conv2dLayer, bindingLimit: number): boolean {
  return Math.ceil(layer.inChannels / 4) * 4 * Math.ceil(layer.outChannels / 16) * 16 * 4 <= bindingLimit;
}

function winogradVariant(kernels: KernelChoices): WinogradVariant {
  return kernels.winogradTile === 4 ? winograd4 : winograd2;
}

/** Winograd's transformed input and products, when this layer runs as Winograd; empty otherwise. */
function winogradScratch(layer: Conv2dLayer, inputs: GpuTensor[], output: GpuTensor, kernels: KernelChoices, bindingLimit: number): Record<string, number> {
  if (!kernels.winograd || !winogradApplies(layer)) return {};
  // Winograd weights are 16/9 (F(2×2)) or 36/9 (F(4×4)) of the direct ones and unsplit; too big for one binding falls
  // back to direct.
  const bytes = winogradWorkspaceBytes(layer, inputs[0], output, winogradVariant(kernels));
  if (Math.max(bytes.transformed, bytes.products, bytes.weights) > bindingLimit) return {};
  return { [transformedScratch]: bytes.transformed, [productsScratch]: bytes.products };
}

/**
 * Which kernel runs a convolution: the depthwise kernel, Winograd (F(2×2) or F(4×4): `winogradTile`), a pointwise GEMM, im2col + GEMM, or the direct
 * convolution (any groups, stride and padding). Winograd and pointwise run ungrouped convolutions only.
 */
function createConv2d(context: GpuContext, layer: Conv2dLayer, [input]: GpuTensor[], output: GpuTensor, env: ForwardEnv): Promise<GpuOp> {
  const { kernels, bindingLimit } = env;
  if (kernels.depthwise && depthwiseApplies(layer)) return Conv2dDepthwiseOp.create(context, layer, input, output);
  if (Object.keys(winogradScratch(layer, [input], output, kernels, bindingLimit)).length > 0) {
    const workspace = { transformed: env.scratch.get(transformedScratch)!, products: env.scratch.get(productsScratch)! };
    return Conv2dWinogradOp.create(context, layer, input, output, workspace, kernels.gemmTile, winogradVariant(kernels));
  }
  if (kernels.pointwise && pointwiseApplies(layer) && fitsOneBinding(layer, bindingLimit)) {
    return Conv2dPointwiseOp.create(context, layer, input, output, kernels.gemmTile);
  }
  if (kernels.im2col && im2colApplies(layer) && im2colBytes(layer, output.shape, output.batch) <= bindingLimit) {
    return Conv2dIm2colOp.create(context, layer, input, output, kernels.gemmTile);
  }
  return Conv2dOp.create(context, layer, input, output, kernels.conv2dTile);
}

export const conv2dForward: ForwardHost<Conv2dLayer> = { scratch: winogradScratch, create: createConv2d };
