import type { LayerSpec } from './layers.ts';

/** A CHW tensor; vectors are `{ channels: n, height: 1, width: 1 }`. */
export interface TensorShape {
  channels: number;
  height: number;
  width: number;
}

export function elementCount(shape: TensorShape): number {
  return shape.channels * shape.height * shape.width;
}

export function isVector(shape: TensorShape): boolean {
  return shape.height === 1 && shape.width === 1;
}

export function formatShape(shape: TensorShape): string {
  return isVector(shape) ? `${shape.channels}` : `${shape.channels}×${shape.height}×${shape.width}`;
}

export class ModelShapeError extends Error {
  override name = 'ModelShapeError';
}

/** Output size of a sliding window, or an error naming the layer when the window does not fit. */
function windowOutput(name: string, size: number, kernel: number, stride: number, padding: number): number {
  const out = Math.floor((size + 2 * padding - kernel) / stride) + 1;
  if (out < 1) {
    throw new ModelShapeError(
      `${name}: a ${kernel}-wide window with stride ${stride} and padding ${padding} does not fit an input of ${size}`,
    );
  }
  return out;
}

/**
 * The output shape of one layer given its input shape. Checks that the layer's declared sizes agree with its input,
 * so a model whose layers do not chain is rejected before any weights are read or uploaded.
 */
export function layerOutputShape(layer: LayerSpec, input: TensorShape): TensorShape {
  switch (layer.kind) {
    case 'conv2d': {
      if (layer.inChannels !== input.channels) {
        throw new ModelShapeError(
          `${layer.name}: expects ${layer.inChannels} input channels but the layer below gives ${input.channels}`,
        );
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
    case 'maxpool':
      return {
        channels: input.channels,
        height: windowOutput(layer.name, input.height, layer.size, layer.stride, 0),
        width: windowOutput(layer.name, input.width, layer.size, layer.stride, 0),
      };
    case 'globalAvgPool':
      return { channels: input.channels, height: 1, width: 1 };
    case 'flatten':
      return { channels: elementCount(input), height: 1, width: 1 };
    case 'dense': {
      if (!isVector(input)) {
        throw new ModelShapeError(
          `${layer.name}: a dense layer needs a vector input; put a flatten or global average pool before it (got ${formatShape(input)})`,
        );
      }
      if (layer.inFeatures !== input.channels) {
        throw new ModelShapeError(
          `${layer.name}: expects ${layer.inFeatures} input features but the layer below gives ${input.channels}`,
        );
      }
      return { channels: layer.outFeatures, height: 1, width: 1 };
    }
    case 'softmax':
      if (!isVector(input)) {
        throw new ModelShapeError(`${layer.name}: softmax needs a vector input (got ${formatShape(input)})`);
      }
      return input;
  }
}

/** Shapes of every activation: index 0 is the model input, index i + 1 the output of layer i. */
export function activationShapes(input: TensorShape, layers: readonly LayerSpec[]): TensorShape[] {
  const shapes = [input];
  for (const layer of layers) shapes.push(layerOutputShape(layer, shapes[shapes.length - 1]));
  return shapes;
}
