/**
 * Our model as a TensorFlow.js layers model (tf.sequential) with the same weights, for the TensorFlow.js peers.
 * TensorFlow.js is channels-last: conv kernels go from our OIHW to HWIO, the input from CHW to HWC, and the first
 * dense layer after a spatial flatten has its input rows permuted from our CHW flatten order to tfjs's HWC order.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Activation } from '../../src/ops/layers.ts';
import type { Model } from '../../src/graph/model.ts';
import type { TensorShape } from '../../src/model/shapes.ts';
import type { PeerSession } from './measure-peer.ts';

type Tf = typeof tfjs;

/** OIHW → HWIO. */
export function convKernelHwio(weight: Float32Array, outChannels: number, inChannels: number, k: number): Float32Array {
  const hwio = new Float32Array(weight.length);
  for (let o = 0; o < outChannels; o++) {
    for (let i = 0; i < inChannels; i++) {
      for (let y = 0; y < k; y++) {
        for (let x = 0; x < k; x++) hwio[((y * k + x) * inChannels + i) * outChannels + o] = weight[((o * inChannels + i) * k + y) * k + x];
      }
    }
  }
  return hwio;
}

/**
 * Our dense weight [out][in] as a tfjs kernel [in][out]. When the input is a flattened C×H×W map, tfjs's input index
 * (y·W + x)·C + c holds what our index c·H·W + y·W + x holds.
 */
export function denseKernel(weight: Float32Array, outFeatures: number, inFeatures: number, flattenedFrom: TensorShape | null): Float32Array {
  const kernel = new Float32Array(weight.length);
  const ourIndex = (tfIndex: number) => {
    if (!flattenedFrom) return tfIndex;
    const { channels: C, height: H, width: W } = flattenedFrom;
    const c = tfIndex % C;
    const pixel = (tfIndex - c) / C;
    return c * H * W + pixel;
  };
  for (let t = 0; t < inFeatures; t++) {
    const row = ourIndex(t);
    for (let o = 0; o < outFeatures; o++) kernel[t * outFeatures + o] = weight[o * inFeatures + row];
  }
  return kernel;
}

export function chwToHwc(input: Float32Array, shape: TensorShape): Float32Array {
  const { channels: C, height: H, width: W } = shape;
  const hwc = new Float32Array(input.length);
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < H * W; p++) hwc[p * C + c] = input[c * H * W + p];
  }
  return hwc;
}

function activationLayer(tf: Tf, activation: Activation, name: string): tfjs.layers.Layer | null {
  if (activation === 'relu') return tf.layers.reLU({ name: `${name}_relu` });
  if (activation === 'leaky') return tf.layers.leakyReLU({ alpha: 0.1, name: `${name}_leaky` });
  return null;
}

/**
 * The model up to its logits (a final softmax is applied by the session, so the peer check can compare logits while
 * the timed work is the whole network).
 */
export function buildTfjsModel(tf: Tf, model: Model): tfjs.Sequential {
  const net = tf.sequential({ name: model.name.replace(/[^A-Za-z0-9_]/g, '_') });
  net.add(tf.layers.inputLayer({ inputShape: [model.input.height, model.input.width, model.input.channels] }));
  const weights: [tfjs.layers.Layer, Float32Array, number[], Float32Array][] = [];
  let shape: TensorShape = model.input;
  let flattenedFrom: TensorShape | null = null;
  const last = model.nodes.length - 1;
  for (const [index, layer] of model.nodes.entries()) {
    switch (layer.kind) {
      case 'conv2d': {
        const { kernel: k, stride: s, padding: p } = layer;
        const same = s === 1 && 2 * p === k - 1;
        if (p > 0 && !same) net.add(tf.layers.zeroPadding2d({ padding: p, name: `${layer.name}_pad` }));
        const conv = tf.layers.conv2d({ name: layer.name, filters: layer.outChannels, kernelSize: k, strides: s, padding: same ? 'same' : 'valid' });
        net.add(conv);
        weights.push([conv, convKernelHwio(layer.weight, layer.outChannels, layer.inChannels, k), [k, k, layer.inChannels, layer.outChannels], layer.bias]);
        const activation = activationLayer(tf, layer.activation, layer.name);
        if (activation) net.add(activation);
        const side = (n: number) => Math.floor((n + 2 * p - k) / s) + 1;
        shape = { channels: layer.outChannels, height: side(shape.height), width: side(shape.width) };
        break;
      }
      case 'maxpool': {
        net.add(tf.layers.maxPooling2d({ name: layer.name, poolSize: layer.size, strides: layer.stride, padding: 'valid' }));
        const side = (n: number) => Math.floor((n - layer.size) / layer.stride) + 1;
        shape = { channels: shape.channels, height: side(shape.height), width: side(shape.width) };
        break;
      }
      case 'globalAvgPool':
        net.add(tf.layers.globalAveragePooling2d({ name: layer.name }));
        shape = { channels: shape.channels, height: 1, width: 1 };
        break;
      case 'flatten':
        net.add(tf.layers.flatten({ name: layer.name }));
        flattenedFrom = shape.height * shape.width > 1 ? shape : null;
        shape = { channels: shape.channels * shape.height * shape.width, height: 1, width: 1 };
        break;
      case 'dense': {
        const dense = tf.layers.dense({ name: layer.name, units: layer.outFeatures });
        net.add(dense);
        weights.push([dense, denseKernel(layer.weight, layer.outFeatures, layer.inFeatures, flattenedFrom), [layer.inFeatures, layer.outFeatures], layer.bias]);
        flattenedFrom = null;
        const activation = activationLayer(tf, layer.activation, layer.name);
        if (activation) net.add(activation);
        shape = { channels: layer.outFeatures, height: 1, width: 1 };
        break;
      }
      case 'softmax':
        if (index !== last) net.add(tf.layers.softmax({ name: layer.name }));
        break;
    }
  }
  for (const [layer, kernel, kernelShape, bias] of weights) {
    const tensors = [tf.tensor(kernel, kernelShape, 'float32'), tf.tensor1d(bias, 'float32')];
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return net;
}

/** A session that runs the tfjs model on our CHW input and returns the logits; the final softmax runs too. */
export function tfjsSession(tf: Tf, model: Model): PeerSession {
  const net = buildTfjsModel(tf, model);
  const { channels, height, width } = model.input;
  const endsInSoftmax = model.nodes[model.nodes.length - 1].kind === 'softmax';
  return {
    async run(input: Float32Array): Promise<Float32Array> {
      const x = tf.tensor4d(chwToHwc(input, model.input), [1, height, width, channels]);
      const logits = net.predict(x) as tfjs.Tensor;
      const outputs = endsInSoftmax ? [logits, tf.softmax(logits)] : [logits];
      const [values] = await Promise.all(outputs.map((t) => t.data()));
      tf.dispose([x, ...outputs]);
      return values as Float32Array;
    },
    dispose() {
      net.dispose();
    },
  };
}
