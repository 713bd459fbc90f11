import type { Activation } from '../common/activation.ts';
import type { Weights } from '../common/op-definition.ts';
import { windowOutput } from '../common/window.ts';
import { ModelShapeError, type TensorShape } from '../../model/shapes.ts';

/** A 2-D convolution. Weight [outChannels][inChannels][kernel][kernel] (OIHW), bias [outChannels]. */
export interface Conv2dSpec {
  kind: 'conv2d';
  name: string;
  kernel: number;
  stride: number;
  padding: number;
  inChannels: number;
  outChannels: number;
  activation: Activation;
}

export type Conv2dLayer = Conv2dSpec & Weights;

export function conv2dOutputShape(layer: Conv2dSpec, [input]: TensorShape[]): TensorShape {
  if (layer.inChannels !== input.channels) {
    throw new ModelShapeError(`${layer.name}: expects ${layer.inChannels} input channels but its input has ${input.channels}`);
  }
  if (layer.kernel < 1 || layer.stride < 1 || layer.padding < 0 || layer.padding >= layer.kernel) {
    throw new ModelShapeError(
      `${layer.name}: kernel ${layer.kernel}, stride ${layer.stride}, padding ${layer.padding} is not a valid convolution`,
    );
  }
  return {
    channels: layer.outChannels,
    height: windowOutput(layer.name, input.height, layer.kernel, layer.stride, layer.padding),
    width: windowOutput(layer.name, input.width, layer.kernel, layer.stride, layer.padding),
  };
}

export const conv2dWeights = {
  shape: (layer: Conv2dSpec) => [layer.outChannels, layer.inChannels, layer.kernel, layer.kernel],
  sizes: (layer: Conv2dSpec) => ({ weight: layer.outChannels * layer.inChannels * layer.kernel * layer.kernel, bias: layer.outChannels }),
  fanIn: (layer: Conv2dSpec) => layer.inChannels * layer.kernel * layer.kernel,
};
