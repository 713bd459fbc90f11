import type { Activation } from '../common/activation.ts';
import type { Weights } from '../common/op-definition.ts';
import { windowOutput } from '../common/window.ts';
import { ModelShapeError, type TensorShape } from '../../model/shapes.ts';

/**
 * A 2-D convolution. Weight [outChannels][inChannels / groups][kernel][kernel] (OIHW, as torch and ONNX store grouped
 * convolutions), bias [outChannels]. Output channel o reads the input channels of its group, g = ⌊o / (out / groups)⌋:
 * [g · in/groups, (g + 1) · in/groups).
 */
export interface Conv2dSpec {
  kind: 'conv2d';
  name: string;
  kernel: number;
  stride: number;
  /** Zero padding on every side; `pads`, when given, overrides it. */
  padding: number;
  inChannels: number;
  outChannels: number;
  activation: Activation;
  /** Channel groups (default 1); groups = inChannels is a depthwise convolution. Both channel counts divide by it. */
  groups?: number;
  /** Asymmetric zero padding [top, left, bottom, right] (ONNX auto_pad SAME_UPPER / SAME_LOWER become these). */
  pads?: [number, number, number, number];
}

export type Conv2dLayer = Conv2dSpec & Weights;

export interface ConvPads {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** The padding on each side: `pads` when given, else `padding` all round. */
export function convPads(layer: Conv2dSpec): ConvPads {
  const [top, left, bottom, right] = layer.pads ?? [layer.padding, layer.padding, layer.padding, layer.padding];
  return { top, left, bottom, right };
}

/** Padding that is the same on all four sides, or null for asymmetric padding. */
export function symmetricPadding(layer: Conv2dSpec): number | null {
  const { top, left, bottom, right } = convPads(layer);
  return top === left && top === bottom && top === right ? top : null;
}

/** Channel groups and each group's input and output channels. */
export function convGroups(layer: Conv2dSpec): { groups: number; inPerGroup: number; outPerGroup: number } {
  const groups = layer.groups ?? 1;
  return { groups, inPerGroup: layer.inChannels / groups, outPerGroup: layer.outChannels / groups };
}

/** One input channel per group and one output channel per input channel: each channel convolved on its own. */
export function isDepthwise(layer: Conv2dSpec): boolean {
  const groups = layer.groups ?? 1;
  return groups === layer.inChannels && groups === layer.outChannels;
}

export function conv2dOutputShape(layer: Conv2dSpec, [input]: TensorShape[]): TensorShape {
  if (layer.inChannels !== input.channels) {
    throw new ModelShapeError(`${layer.name}: expects ${layer.inChannels} input channels but its input has ${input.channels}`);
  }
  const groups = layer.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ModelShapeError(`${layer.name}: groups ${groups} is not a positive integer`);
  if (layer.inChannels % groups !== 0 || layer.outChannels % groups !== 0) {
    throw new ModelShapeError(
      `${layer.name}: ${layer.inChannels} input and ${layer.outChannels} output channels do not divide into ${groups} groups`,
    );
  }
  if (layer.kernel < 1 || layer.stride < 1 || layer.padding < 0 || layer.padding >= layer.kernel) {
    throw new ModelShapeError(
      `${layer.name}: kernel ${layer.kernel}, stride ${layer.stride}, padding ${layer.padding} is not a valid convolution`,
    );
  }
  const pads = convPads(layer);
  if (layer.pads && (layer.pads.length !== 4 || layer.pads.some((p) => !Number.isInteger(p) || p < 0 || p >= layer.kernel))) {
    throw new ModelShapeError(
      `${layer.name}: pads [${layer.pads.join(', ')}] must be four integers [top, left, bottom, right], each from 0 to kernel − 1 = ${layer.kernel - 1}`,
    );
  }
  return {
    channels: layer.outChannels,
    height: windowOutput(layer.name, input.height, layer.kernel, layer.stride, pads.top, pads.bottom),
    width: windowOutput(layer.name, input.width, layer.kernel, layer.stride, pads.left, pads.right),
  };
}

export const conv2dWeights = {
  shape: (layer: Conv2dSpec) => [layer.outChannels, convGroups(layer).inPerGroup, layer.kernel, layer.kernel],
  sizes: (layer: Conv2dSpec) => ({ weight: layer.outChannels * convGroups(layer).inPerGroup * layer.kernel * layer.kernel, bias: layer.outChannels }),
  fanIn: (layer: Conv2dSpec) => convGroups(layer).inPerGroup * layer.kernel * layer.kernel,
};
