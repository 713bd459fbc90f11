/**
 * Maps at one tensor's resolution: Grad-CAM (Selvaraju et al.) from a layer's activations and the gradient of a logit
 * there, and CAM (Zhou et al.) from the activations before a global-average-pool head and the head's weights.
 */
import { scoreTensor } from '../graph/gradient-path.ts';
import { isLinearPointwiseConv } from '../graph/gap-dense-head.ts';
import { graphOf, type Model } from '../graph/model.ts';
import type { TensorShape } from '../model/shapes.ts';

/** A map at one tensor's spatial resolution: row-major height×width, ≥ 0, not normalised. */
export interface LayerMap {
  tensor: string;
  width: number;
  height: number;
  values: Float32Array;
}

/** ReLU(Σ_c w_c · A_c) over CHW activations, float64 sums. */
export function weightedChannelSum(tensor: string, shape: TensorShape, activations: Float32Array, weights: ArrayLike<number>): LayerMap {
  const plane = shape.height * shape.width;
  const sums = new Float64Array(plane);
  for (let c = 0; c < shape.channels; c++) {
    const w = weights[c];
    if (w === 0) continue;
    for (let p = 0; p < plane; p++) sums[p] += w * activations[c * plane + p];
  }
  return { tensor, width: shape.width, height: shape.height, values: Float32Array.from(sums, (v) => Math.max(0, v)) };
}

/** Grad-CAM: channel weights the spatial mean of the gradient at the layer, map ReLU(Σ_c w_c · A_c). */
export function gradcamMap(tensor: string, shape: TensorShape, activations: Float32Array, gradient: ArrayLike<number>): LayerMap {
  const plane = shape.height * shape.width;
  const weights = new Float64Array(shape.channels);
  for (let c = 0; c < shape.channels; c++) {
    let sum = 0;
    for (let p = 0; p < plane; p++) sum += gradient[c * plane + p];
    weights[c] = sum / plane;
  }
  return weightedChannelSum(tensor, shape, activations, weights);
}

/** Where CAM reads: the spatial tensor before the pool, and each class's weights over its channels. */
export interface CamHead {
  tensor: string;
  weights(target: number): Float32Array;
}

/** A global average over the whole plane: a GAP, or an adaptive pool to 1×1. */
function isGlobalPool(node: { kind: string; outHeight?: number; outWidth?: number }): boolean {
  return node.kind === 'globalAvgPool' || (node.kind === 'adaptiveAvgPool' && node.outHeight === 1 && node.outWidth === 1);
}

/**
 * The CAM head of a model, or why it has none: "spatial tensor → global average pool → (flatten) → linear dense"
 * (ResNet, GoogLeNet) or "spatial tensor → linear 1×1 conv → global average pool" (Tiny Darknet), then the scores
 * (a softmax after them is allowed). Biases are left out, as Zhou et al. do.
 */
export function camHead(model: Model): CamHead | string {
  const graph = graphOf(model);
  const score = scoreTensor(model);
  const last = graph.producers.get(score);
  const spatial = (tensor: string) => {
    const shape = graph.shapes.get(tensor)!;
    return shape.height * shape.width > 1;
  };
  if (last?.kind === 'dense' && last.activation === 'linear') {
    let pooled = last.inputs[0];
    const flatten = graph.producers.get(pooled);
    if (flatten?.kind === 'flatten') pooled = flatten.inputs[0];
    const pool = graph.producers.get(pooled);
    if (pool && isGlobalPool(pool) && spatial(pool.inputs[0])) {
      const dense = last as typeof last & { weight: Float32Array };
      return { tensor: pool.inputs[0], weights: (t) => dense.weight.slice(t * dense.inFeatures, (t + 1) * dense.inFeatures) };
    }
  }
  if (last && isGlobalPool(last)) {
    const conv = graph.producers.get(last.inputs[0]);
    if (conv && isLinearPointwiseConv(conv) && spatial(conv.inputs[0])) {
      const c = conv as typeof conv & { weight: Float32Array };
      return { tensor: conv.inputs[0], weights: (t) => c.weight.slice(t * c.inChannels, (t + 1) * c.inChannels) };
    }
  }
  const what = last ? `a ${last.kind}${'activation' in last ? ` (${last.activation})` : ''}` : 'the input';
  return (
    `${model.name}: CAM needs a head "spatial tensor → global average pool → (flatten) → linear dense" or ` +
    `"spatial tensor → linear 1×1 conv → global average pool"; its scores "${score}" come from ${what} that is not one`
  );
}
