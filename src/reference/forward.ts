/**
 * The CPU reference forward pass: plain loops over CHW tensors with float64 accumulation. It is the oracle for every GPU
 * test, so it shares no arithmetic with the GPU path (no layouts, no tiling, no kernels).
 */
import { LEAKY_SLOPE, type Activation, type Conv2dLayer, type DenseLayer, type Layer } from '../model/layers.ts';
import type { Model } from '../graph/model.ts';
import { activationShapes, elementCount, type TensorShape } from '../model/shapes.ts';

function activate(value: number, activation: Activation): number {
  if (activation === 'relu') return value > 0 ? value : 0;
  if (activation === 'leaky') return value > 0 ? value : value * LEAKY_SLOPE;
  return value;
}

export function conv2dReference(layer: Conv2dLayer, input: Float32Array, inShape: TensorShape, outShape: TensorShape): Float32Array {
  const { kernel: k, stride: s, padding: p, inChannels, outChannels } = layer;
  const { height: inH, width: inW } = inShape;
  const { height: outH, width: outW } = outShape;
  const out = new Float32Array(outChannels * outH * outW);
  const sum = new Float64Array(outH * outW);
  for (let oc = 0; oc < outChannels; oc++) {
    sum.fill(layer.bias[oc]);
    for (let ic = 0; ic < inChannels; ic++) {
      const inPlane = ic * inH * inW;
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const w = layer.weight[((oc * inChannels + ic) * k + ky) * k + kx];
          // Output columns whose input column ox·s + kx − p lies inside the image: no branch in the inner loop.
          const oxFirst = Math.max(0, Math.ceil((p - kx) / s));
          const oxEnd = Math.min(outW, Math.floor((inW - 1 + p - kx) / s) + 1);
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * s + ky - p;
            if (iy < 0 || iy >= inH) continue;
            const inRow = inPlane + iy * inW + kx - p;
            const outRow = oy * outW;
            for (let ox = oxFirst; ox < oxEnd; ox++) sum[outRow + ox] += w * input[inRow + ox * s];
          }
        }
      }
    }
    const outPlane = oc * outH * outW;
    for (let i = 0; i < outH * outW; i++) out[outPlane + i] = activate(sum[i], layer.activation);
  }
  return out;
}

export function maxPoolReference(size: number, stride: number, input: Float32Array, inShape: TensorShape, outShape: TensorShape): Float32Array {
  const out = new Float32Array(elementCount(outShape));
  for (let c = 0; c < outShape.channels; c++) {
    for (let oy = 0; oy < outShape.height; oy++) {
      for (let ox = 0; ox < outShape.width; ox++) {
        let best = -Infinity;
        for (let dy = 0; dy < size; dy++) {
          for (let dx = 0; dx < size; dx++) {
            const v = input[(c * inShape.height + oy * stride + dy) * inShape.width + ox * stride + dx];
            if (v > best) best = v;
          }
        }
        out[(c * outShape.height + oy) * outShape.width + ox] = best;
      }
    }
  }
  return out;
}

export function globalAvgPoolReference(input: Float32Array, inShape: TensorShape): Float32Array {
  const plane = inShape.height * inShape.width;
  const out = new Float32Array(inShape.channels);
  for (let c = 0; c < inShape.channels; c++) {
    let sum = 0;
    for (let i = 0; i < plane; i++) sum += input[c * plane + i];
    out[c] = sum / plane;
  }
  return out;
}

export function denseReference(layer: DenseLayer, input: Float32Array): Float32Array {
  const out = new Float32Array(layer.outFeatures);
  for (let o = 0; o < layer.outFeatures; o++) {
    let sum = layer.bias[o];
    const row = o * layer.inFeatures;
    for (let i = 0; i < layer.inFeatures; i++) sum += layer.weight[row + i] * input[i];
    out[o] = activate(sum, layer.activation);
  }
  return out;
}

export function softmaxReference(input: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of input) max = Math.max(max, v);
  let total = 0;
  const exps = Array.from(input, (v) => {
    const e = Math.exp(v - max);
    total += e;
    return e;
  });
  return Float32Array.from(exps, (e) => e / total);
}

export function layerReference(layer: Layer, input: Float32Array, inShape: TensorShape, outShape: TensorShape): Float32Array {
  switch (layer.kind) {
    case 'conv2d':
      return conv2dReference(layer, input, inShape, outShape);
    case 'maxpool':
      return maxPoolReference(layer.size, layer.stride, input, inShape, outShape);
    case 'globalAvgPool':
      return globalAvgPoolReference(input, inShape);
    case 'flatten':
      return Float32Array.from(input);
    case 'dense':
      return denseReference(layer, input);
    case 'softmax':
      return softmaxReference(input);
  }
}

/** Every activation, CHW: index 0 is the input tensor, index i + 1 the output of layer i. */
export function forwardReference(model: Model, input: Float32Array): Float32Array[] {
  const shapes = activationShapes(model.input, model.layers);
  if (input.length !== elementCount(shapes[0])) {
    throw new Error(`input has ${input.length} values, the model needs ${elementCount(shapes[0])}`);
  }
  const activations = [input];
  model.layers.forEach((layer, i) => {
    activations.push(layerReference(layer, activations[i], shapes[i], shapes[i + 1]));
  });
  return activations;
}
