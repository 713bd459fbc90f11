/**
 * Any of our graphs as a TensorFlow.js functional layers model (tf.input → layers → tf.model) with the same weights,
 * for the TensorFlow.js peers. TensorFlow.js is channels-last: the input goes from CHW to HWC, conv kernels from our
 * OIHW to HWIO (depthwise ones to [k, k, in, multiplier]), and a dense layer reading a spatial flatten has its input
 * rows permuted from our CHW flatten order to tfjs's HWC order.
 *
 * Every op is written exactly or refused with an error naming the node (no model that computes something else):
 * - conv2d: padding `same` where TensorFlow's SAME pads equal ours, else ZeroPadding2D then `valid`; groups = input
 *   channels is a DepthwiseConv2D (any multiplier), other groups are sliced, convolved per group and concatenated.
 * - max-pool: `same` where TensorFlow's SAME pads equal ours (SAME max-pooling ignores the padding), else padding with
 *   the lowest float (never a window's max: every window holds an input) then `valid`; ceil mode pads the far side.
 * - average pool: `valid` without padding, `same` where that is ours with count_include_pad off, else zero padding,
 *   `valid`, and a constant per-output factor k² / divisor (torch's divisors, ceil mode's cut windows included).
 * - adaptive average pool: identity, global, or an even tiling (as ONNX can write it); other sizes are refused.
 * - LRN: odd sizes (TensorFlow's depth_radius window is symmetric); even sizes are refused.
 * - activations: ReLU fused into conv/dense as tfjs fuses it; ReLU6 (`relu6`) and leaky 0.1 as tfjs layers apply them.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { endsInSoftmax } from '../../src/explain/classify.ts';
import { graphOf, inputTensor, type GraphNode, type Model } from '../../src/graph/model.ts';
import type { TensorShape } from '../../src/model/shapes.ts';
import { avgPoolWindow } from '../../src/ops/avgpool/spec.ts';
import { convGroups, convPads } from '../../src/ops/conv2d/spec.ts';
import { LEAKY_SLOPE, type Activation } from '../../src/ops/layers.ts';
import { maxPoolWindow } from '../../src/ops/maxpool/spec.ts';
import { pooledSize, windowSpan, type PoolWindow } from '../../src/ops/common/pool-window.ts';
import { logitsTensor } from './logits.ts';
import type { PeerSession } from './measure-peer.ts';

type Tf = typeof tfjs;
type Sym = tfjs.SymbolicTensor;

/** A model tfjs cannot compute exactly as we do; the message names the node. */
export class TfjsUnsupported extends Error {
  override name = 'TfjsUnsupported';
}

/** OIHW (I = input channels per group) → HWIO. */
export function convKernelHwio(weight: Float32Array, outChannels: number, inChannels: number, k: number): Float32Array {
  const hwio = new Float32Array(outChannels * inChannels * k * k);
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
 * A depthwise conv's weight [channels · multiplier][1][k][k] as tfjs's depthwise kernel [k][k][channels][multiplier].
 * Our output channel o reads input channel ⌊o / multiplier⌋, as tfjs's output channel c · multiplier + j reads c.
 */
export function depthwiseKernel(weight: Float32Array, channels: number, multiplier: number, k: number): Float32Array {
  const kernel = new Float32Array(weight.length);
  for (let c = 0; c < channels; c++) {
    for (let j = 0; j < multiplier; j++) {
      const o = c * multiplier + j;
      for (let y = 0; y < k; y++) {
        for (let x = 0; x < k; x++) kernel[((y * k + x) * channels + c) * multiplier + j] = weight[(o * k + y) * k + x];
      }
    }
  }
  return kernel;
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

/** TensorFlow's SAME padding along an axis: [before, after]. */
function samePads(n: number, k: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Whether TensorFlow's SAME padding is exactly [top, bottom] × [left, right] (and gives our output size). */
function sameIsOurs(input: TensorShape, k: number, s: number, pads: { top: number; bottom: number; left: number; right: number }, out: TensorShape): boolean {
  const [top, bottom] = samePads(input.height, k, s);
  const [left, right] = samePads(input.width, k, s);
  return (
    top === pads.top && bottom === pads.bottom && left === pads.left && right === pads.right &&
    Math.ceil(input.height / s) === out.height && Math.ceil(input.width / s) === out.width
  );
}

/** Padding of a pool window on each side: `padding` all round, plus what ceil mode's last window reaches past it. */
function poolPads(name: string, input: TensorShape, window: PoolWindow): { top: number; left: number; bottom: number; right: number; out: TensorShape } {
  const { size, stride, padding } = window;
  const height = pooledSize(name, input.height, window);
  const width = pooledSize(name, input.width, window);
  const far = (n: number, out: number) => Math.max(padding, (out - 1) * stride + size - n - padding);
  return { top: padding, left: padding, bottom: far(input.height, height), right: far(input.width, width), out: { channels: input.channels, height, width } };
}

/** The lowest float32: what max-pool padding is filled with (every window holds an input, so it is never the max). */
const lowestFloat = -3.4028234663852886e38;

/** A tensor of the tfjs graph: a map [1, H, W, C] (rank 4) or a vector [1, N] (rank 2), and its flatten order. */
interface Held {
  sym: Sym;
  rank: 2 | 4;
  /** A vector flattened in tfjs's HWC order from this map (read only by dense layers, which permute their rows). */
  flattenedFrom: TensorShape | null;
}

/** One layer that applies a tfjs op function: padding with a constant, channel slices, LRN, constant factors. */
function opLayerClass(tf: Tf) {
  class FixationsOp extends tf.layers.Layer {
    static className = 'FixationsOp';
    constructor(
      name: string,
      private readonly fn: (x: tfjs.Tensor) => tfjs.Tensor,
      private readonly shape: (input: (number | null)[]) => (number | null)[],
      private readonly constants: tfjs.Tensor[] = [],
    ) {
      super({ name });
    }
    override computeOutputShape(inputShape: tfjs.Shape | tfjs.Shape[]): tfjs.Shape {
      return this.shape(inputShape as (number | null)[]);
    }
    override call(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor {
      return tf.tidy(() => this.fn(Array.isArray(inputs) ? inputs[0] : inputs));
    }
    override dispose() {
      tf.dispose(this.constants);
      return super.dispose();
    }
  }
  return FixationsOp;
}

/**
 * Our model up to its logits (the softmax's input when it ends in softmax; the session applies the softmax, so the
 * peer check compares logits while the timed work is the whole network). Throws {@link TfjsUnsupported} for what
 * tfjs cannot compute exactly.
 */
export function buildTfjsModel(tf: Tf, model: Model, outputs: string[] = [logitsTensor(model)]): tfjs.LayersModel {
  const graph = graphOf(model);
  const OpLayer = opLayerClass(tf);
  const held = new Map<string, Held>();
  const weights: [tfjs.layers.Layer, tfjs.Tensor[]][] = [];
  const consumers = (tensor: string) => graph.consumers.get(tensor) ?? [];
  const shapeOf = (tensor: string) => graph.shapes.get(tensor)!;
  const input = tf.input({ shape: [model.input.height, model.input.width, model.input.channels], name: 'input' });
  held.set(inputTensor, { sym: input, rank: 4, flattenedFrom: null });
  const apply = (layer: tfjs.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;

  /** A tensor as a map [1, H, W, C]: a vector of ours is C×1×1. */
  const converted = new Map<string, Sym>();
  const once = (key: string, make: () => Sym): Sym => {
    if (!converted.has(key)) converted.set(key, make());
    return converted.get(key)!;
  };
  const asMap = (tensor: string): Sym => {
    const h = held.get(tensor)!;
    if (h.rank === 4) return h.sym;
    const { channels, height, width } = shapeOf(tensor);
    return once(`${tensor}__map`, () => apply(tf.layers.reshape({ targetShape: [height, width, channels], name: `${tensor}__map` }), h.sym));
  };
  /** A tensor as a vector [1, N] in our CHW order (1×1 maps and vectors only; flatten handles the rest). */
  const asVector = (tensor: string): Sym => {
    const h = held.get(tensor)!;
    if (h.rank === 2) return h.sym;
    const { height, width } = shapeOf(tensor);
    return once(`${tensor}__vector`, () => {
      const map = height * width > 1 ? apply(tf.layers.permute({ dims: [3, 1, 2], name: `${tensor}__chw` }), h.sym) : h.sym;
      return apply(tf.layers.flatten({ name: `${tensor}__vector` }), map);
    });
  };
  const set = (node: GraphNode, sym: Sym, rank: 2 | 4, flattenedFrom: TensorShape | null = null) => held.set(node.output, { sym, rank, flattenedFrom });
  /** ReLU is fused into tfjs's conv and dense layers; ReLU6 is a tfjs activation; leaky a layer of its own. */
  const fusedActivation = (activation: Activation): 'relu' | 'relu6' | undefined =>
    activation === 'relu' ? 'relu' : activation === 'relu6' ? 'relu6' : undefined;
  const activate = (x: Sym, activation: Activation, name: string): Sym => {
    if (activation === 'relu') return apply(tf.layers.reLU({ name }), x);
    if (activation === 'relu6') return apply(tf.layers.reLU({ maxValue: 6, name }), x);
    if (activation === 'leaky') return apply(tf.layers.leakyReLU({ alpha: LEAKY_SLOPE, name }), x);
    return x;
  };
  const afterFused = (x: Sym, activation: Activation, name: string): Sym => (activation === 'leaky' ? activate(x, 'leaky', `${name}_leaky`) : x);
  const zeroPad = (x: Sym, p: { top: number; bottom: number; left: number; right: number }, name: string): Sym =>
    p.top + p.bottom + p.left + p.right === 0
      ? x
      : apply(tf.layers.zeroPadding2d({ padding: [[p.top, p.bottom], [p.left, p.right]], name: `${name}_pad` }), x);

  for (const node of model.nodes) {
    const inShapes = node.inputs.map(shapeOf);
    const out = shapeOf(node.output);
    switch (node.kind) {
      case 'conv2d': {
        const k = node.kernel;
        const s = node.stride;
        const pads = convPads(node);
        const { groups, inPerGroup, outPerGroup } = convGroups(node);
        const padded = pads.top + pads.left + pads.bottom + pads.right > 0;
        const same = padded && sameIsOurs(inShapes[0], k, s, pads, out);
        let x = asMap(node.inputs[0]);
        if (padded && !same) x = zeroPad(x, pads, node.name);
        const common = { kernelSize: k, strides: s, padding: same ? ('same' as const) : ('valid' as const), activation: fusedActivation(node.activation) };
        let y: Sym;
        if (groups === 1) {
          const conv = tf.layers.conv2d({ ...common, name: node.name, filters: node.outChannels });
          y = apply(conv, x);
          weights.push([conv, [tf.tensor(convKernelHwio(node.weight, node.outChannels, node.inChannels, k), [k, k, node.inChannels, node.outChannels]), tf.tensor1d(node.bias)]]);
        } else if (inPerGroup === 1) {
          const conv = tf.layers.depthwiseConv2d({ ...common, name: node.name, depthMultiplier: outPerGroup });
          y = apply(conv, x);
          weights.push([conv, [tf.tensor(depthwiseKernel(node.weight, node.inChannels, outPerGroup, k), [k, k, node.inChannels, outPerGroup]), tf.tensor1d(node.bias)]]);
        } else {
          // tfjs has no grouped Conv2D: each group's channels sliced, convolved, and the outputs concatenated.
          const parts: Sym[] = [];
          const per = outPerGroup * inPerGroup * k * k;
          for (let g = 0; g < groups; g++) {
            const slice = new OpLayer(
              `${node.name}_group${g}_in`,
              (t) => tf.slice(t, [0, 0, 0, g * inPerGroup], [-1, -1, -1, inPerGroup]),
              (shape) => [...shape.slice(0, 3), inPerGroup],
            );
            const conv = tf.layers.conv2d({ ...common, name: `${node.name}_group${g}`, filters: outPerGroup });
            parts.push(apply(conv, apply(slice, x)));
            const weight = node.weight.subarray(g * per, (g + 1) * per);
            const bias = node.bias.subarray(g * outPerGroup, (g + 1) * outPerGroup);
            weights.push([conv, [tf.tensor(convKernelHwio(weight, outPerGroup, inPerGroup, k), [k, k, inPerGroup, outPerGroup]), tf.tensor1d(bias)]]);
          }
          y = apply(tf.layers.concatenate({ axis: -1, name: `${node.name}_concat` }), parts);
        }
        set(node, afterFused(y, node.activation, node.name), 4);
        break;
      }
      case 'dense': {
        const h = held.get(node.inputs[0])!;
        const x = h.rank === 2 ? h.sym : asVector(node.inputs[0]);
        const dense = tf.layers.dense({ name: node.name, units: node.outFeatures, activation: fusedActivation(node.activation) });
        const y = apply(dense, x);
        weights.push([dense, [tf.tensor(denseKernel(node.weight, node.outFeatures, node.inFeatures, h.rank === 2 ? h.flattenedFrom : null), [node.inFeatures, node.outFeatures]), tf.tensor1d(node.bias)]]);
        set(node, afterFused(y, node.activation, node.name), 2);
        break;
      }
      case 'maxpool': {
        const window = maxPoolWindow(node);
        const { out: pooled, ...pads } = poolPads(node.name, inShapes[0], window);
        const padded = pads.top + pads.left + pads.bottom + pads.right > 0;
        const same = padded && sameIsOurs(inShapes[0], window.size, window.stride, pads, pooled);
        let x = asMap(node.inputs[0]);
        if (padded && !same) {
          const paddings: [number, number][] = [[0, 0], [pads.top, pads.bottom], [pads.left, pads.right], [0, 0]];
          const pad = new OpLayer(`${node.name}_pad`, (t) => tf.pad(t, paddings, lowestFloat), (shape) => [shape[0], shape[1]! + pads.top + pads.bottom, shape[2]! + pads.left + pads.right, shape[3]]);
          x = apply(pad, x);
        }
        set(node, apply(tf.layers.maxPooling2d({ name: node.name, poolSize: window.size, strides: window.stride, padding: same ? 'same' : 'valid' }), x), 4);
        break;
      }
      case 'avgpool': {
        const window = avgPoolWindow(node);
        const { size, stride } = window;
        const [inShape] = inShapes;
        const { out: pooled, ...pads } = poolPads(node.name, inShape, window);
        const padded = pads.top + pads.left + pads.bottom + pads.right > 0;
        let x = asMap(node.inputs[0]);
        if (!padded || (!node.countIncludePad && sameIsOurs(inShape, size, stride, pads, pooled))) {
          set(node, apply(tf.layers.averagePooling2d({ name: node.name, poolSize: size, strides: stride, padding: padded ? 'same' : 'valid' }), x), 4);
          break;
        }
        // Zero padding, a valid average over k² positions, then k² / (torch's divisor) per output position.
        const factors = new Float32Array(pooled.height * pooled.width);
        let uneven = false;
        for (let oy = 0; oy < pooled.height; oy++) {
          const rows = windowSpan(oy, inShape.height, window);
          for (let ox = 0; ox < pooled.width; ox++) {
            const cols = windowSpan(ox, inShape.width, window);
            const divisor = node.countIncludePad ? rows.padded * cols.padded : (rows.end - rows.start) * (cols.end - cols.start);
            factors[oy * pooled.width + ox] = (size * size) / divisor;
            uneven ||= divisor !== size * size;
          }
        }
        x = zeroPad(x, pads, node.name);
        let y = apply(tf.layers.averagePooling2d({ name: node.name, poolSize: size, strides: stride, padding: 'valid' }), x);
        if (uneven) {
          const factor = tf.tensor4d(factors, [1, pooled.height, pooled.width, 1]);
          y = apply(new OpLayer(`${node.name}_divisor`, (t) => tf.mul(t, factor), (shape) => shape, [factor]), y);
        }
        set(node, y, 4);
        break;
      }
      case 'adaptiveAvgPool': {
        const [inShape] = inShapes;
        const { outHeight, outWidth } = node;
        if (outHeight === inShape.height && outWidth === inShape.width) held.set(node.output, held.get(node.inputs[0])!);
        else if (outHeight === 1 && outWidth === 1) set(node, apply(tf.layers.globalAveragePooling2d({ name: node.name }), asMap(node.inputs[0])), 2);
        else if (inShape.height % outHeight === 0 && inShape.width % outWidth === 0) {
          const poolSize: [number, number] = [inShape.height / outHeight, inShape.width / outWidth];
          set(node, apply(tf.layers.averagePooling2d({ name: node.name, poolSize, strides: poolSize, padding: 'valid' }), asMap(node.inputs[0])), 4);
        } else {
          throw new TfjsUnsupported(
            `${node.name}: an adaptive average pool from ${inShape.height}×${inShape.width} to ${outHeight}×${outWidth} has windows of different sizes, which no tfjs pooling layer computes`,
          );
        }
        break;
      }
      case 'globalAvgPool':
        set(node, apply(tf.layers.globalAveragePooling2d({ name: node.name }), asMap(node.inputs[0])), 2);
        break;
      case 'flatten': {
        const [inShape] = inShapes;
        const h = held.get(node.inputs[0])!;
        if (h.rank === 2) held.set(node.output, h);
        else if (inShape.height * inShape.width === 1) set(node, apply(tf.layers.flatten({ name: node.name }), h.sym), 2);
        else if (consumers(node.output).every((c) => c.node.kind === 'dense')) {
          // HWC order, as tfjs flattens; the dense layers reading it permute their rows instead.
          set(node, apply(tf.layers.flatten({ name: node.name }), h.sym), 2, inShape);
        } else {
          set(node, apply(tf.layers.flatten({ name: node.name }), apply(tf.layers.permute({ dims: [3, 1, 2], name: `${node.name}_chw` }), h.sym)), 2);
        }
        break;
      }
      case 'softmax':
        set(node, apply(tf.layers.softmax({ name: node.name }), asVector(node.inputs[0])), 2);
        break;
      case 'add': {
        const vector = inShapes[0].height * inShapes[0].width === 1 && node.inputs.some((t) => held.get(t)!.rank === 2);
        const xs = node.inputs.map((t) => (vector ? asVector(t) : asMap(t)));
        set(node, activate(apply(tf.layers.add({ name: node.name }), xs), node.activation, `${node.name}_${node.activation}`), vector ? 2 : 4);
        break;
      }
      case 'concat': {
        const vector = inShapes[0].height * inShapes[0].width === 1 && node.inputs.some((t) => held.get(t)!.rank === 2);
        const xs = node.inputs.map((t) => (vector ? asVector(t) : asMap(t)));
        set(node, apply(tf.layers.concatenate({ axis: -1, name: node.name }), xs), vector ? 2 : 4);
        break;
      }
      case 'batchnorm': {
        // scale · x + shift exactly: mean 0, variance 1, ε 0.
        const h = held.get(node.inputs[0])!;
        const bn = tf.layers.batchNormalization({ axis: -1, epsilon: 0, name: node.name });
        const y = apply(bn, h.sym);
        const mean = new Float32Array(node.channels);
        const variance = new Float32Array(node.channels).fill(1);
        weights.push([bn, [tf.tensor1d(node.weight), tf.tensor1d(node.bias), tf.tensor1d(mean), tf.tensor1d(variance)]]);
        set(node, activate(y, node.activation, `${node.name}_${node.activation}`), h.rank, h.flattenedFrom);
        break;
      }
      case 'lrn': {
        if (node.size % 2 === 0) {
          throw new TfjsUnsupported(`${node.name}: LRN of even size ${node.size}: TensorFlow's window (depth_radius) is symmetric, so only odd sizes are ours`);
        }
        const radius = (node.size - 1) / 2;
        const { bias, alpha, beta, size } = node;
        const lrn = new OpLayer(node.name, (t) => tf.localResponseNormalization(t as tfjs.Tensor4D, radius, bias, alpha / size, beta), (shape) => shape);
        set(node, apply(lrn, asMap(node.inputs[0])), 4);
        break;
      }
      case 'activation': {
        const h = held.get(node.inputs[0])!;
        if (node.activation === 'linear') held.set(node.output, h);
        else set(node, activate(h.sym, node.activation, node.name), h.rank, h.flattenedFrom);
        break;
      }
      default: {
        const unknown: never = node;
        throw new TfjsUnsupported(`${(unknown as GraphNode).name}: no tfjs layer for op ${(unknown as GraphNode).kind}`);
      }
    }
  }
  const net = tf.model({ inputs: input, outputs: outputs.map(asVector), name: model.name.replace(/[^A-Za-z0-9_]/g, '_') });
  for (const [layer, tensors] of weights) {
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return net;
}

/** A session that runs the tfjs model on our CHW input and returns the logits; the final softmax runs too. */
export function tfjsSession(tf: Tf, model: Model): PeerSession {
  const net = buildTfjsModel(tf, model);
  const { channels, height, width } = model.input;
  const softmax = endsInSoftmax(model);
  return {
    async run(input: Float32Array): Promise<Float32Array> {
      const x = tf.tensor4d(chwToHwc(input, model.input), [1, height, width, channels]);
      const logits = net.predict(x) as tfjs.Tensor;
      const outputs = softmax ? [logits, tf.softmax(logits)] : [logits];
      const [values] = await Promise.all(outputs.map((t) => t.data()));
      tf.dispose([x, ...outputs]);
      return values as Float32Array;
    },
    dispose() {
      net.dispose();
    },
  };
}
