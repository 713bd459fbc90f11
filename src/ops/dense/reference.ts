import { activate } from '../common/activation.ts';
import { nearTieTolerance, type Choice, type OpReference } from '../common/op-definition.ts';
import { keepsTopOnly, type DenseLayer } from './spec.ts';

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

function selectDense(layer: DenseLayer, below: Float32Array, node: number, topOnly: boolean): Choice {
  const row = node * layer.inFeatures;
  if (topOnly) {
    let best = 0;
    let bestP = -Infinity;
    for (let i = 0; i < layer.inFeatures; i++) {
      const p = layer.weight[row + i] * below[i];
      if (p > bestP) [best, bestP] = [i, p];
    }
    const tied: number[] = [];
    for (let i = 0; i < layer.inFeatures; i++) {
      const p = layer.weight[row + i] * below[i];
      if (i !== best && bestP - p <= nearTieTolerance * Math.abs(bestP)) tied.push(i);
    }
    return { children: [best], alternatives: tied.length > 0 ? tied : null };
  }
  const children: number[] = [];
  const doubtful: number[] = [];
  for (let i = 0; i < layer.inFeatures; i++) {
    const p = layer.weight[row + i] * below[i];
    if (p > 0) children.push(i);
    // Products too small for float32 may round to 0 on the GPU.
    if (p !== 0 && Math.abs(p) < 1e-30) doubtful.push(i);
  }
  return { children, alternatives: doubtful.length > 0 ? doubtful : null };
}

export const denseOpReference: OpReference<DenseLayer> = {
  forward: (layer, [input]) => denseReference(layer, input),
  select: (layer, site, [below], node) => selectDense(layer, below, node, keepsTopOnly(site)),
};
