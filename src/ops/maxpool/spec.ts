import { windowOutput } from '../common/window.ts';
import type { TensorShape } from '../../model/shapes.ts';

export interface MaxPoolSpec {
  kind: 'maxpool';
  name: string;
  size: number;
  stride: number;
}

export function maxPoolOutputShape(layer: MaxPoolSpec, [input]: TensorShape[]): TensorShape {
  return {
    channels: input.channels,
    height: windowOutput(layer.name, input.height, layer.size, layer.stride, 0),
    width: windowOutput(layer.name, input.width, layer.size, layer.stride, 0),
  };
}
