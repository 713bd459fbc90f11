import { activate } from '../common/activation.ts';
import { nearTieTolerance, type Choice, type OpReference } from '../common/op-definition.ts';
import { nodeOf, windowCentre } from '../common/window.ts';
import type { TensorShape } from '../../model/shapes.ts';
import type { Conv2dLayer } from './spec.ts';

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

/**
 * In the node's receptive field: the input channel with the largest Σ w·a (ties: lowest), then `hysm` the largest
 * single w·a in that channel's window (in bounds; ties: lowest position), `official` the window centre.
 */
function selectConv(layer: Conv2dLayer, below: Float32Array, inShape: TensorShape, outShape: TensorShape, node: number, centre: boolean): Choice {
  const { kernel: k, stride, padding, inChannels } = layer;
  const plane = outShape.height * outShape.width;
  const oc = Math.floor(node / plane);
  const oy = Math.floor((node % plane) / outShape.width);
  const ox = node % outShape.width;
  const sums = new Float64Array(inChannels);
  const magnitudes = new Float64Array(inChannels);
  const inside = (iy: number, ix: number) => iy >= 0 && ix >= 0 && iy < inShape.height && ix < inShape.width;
  const product = (ic: number, ky: number, kx: number) => {
    const iy = oy * stride - padding + ky;
    const ix = ox * stride - padding + kx;
    return layer.weight[((oc * inChannels + ic) * k + ky) * k + kx] * below[(ic * inShape.height + iy) * inShape.width + ix];
  };
  for (let ic = 0; ic < inChannels; ic++) {
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        if (!inside(oy * stride - padding + ky, ox * stride - padding + kx)) continue;
        const p = product(ic, ky, kx);
        sums[ic] += p;
        magnitudes[ic] += Math.abs(p);
      }
    }
  }
  let best = 0;
  for (let ic = 1; ic < inChannels; ic++) if (sums[ic] > sums[best]) best = ic;
  const tiedChannels: number[] = [];
  for (let ic = 0; ic < inChannels; ic++) {
    const scale = Math.max(magnitudes[ic], magnitudes[best]);
    if (ic !== best && sums[best] - sums[ic] <= nearTieTolerance * scale) tiedChannels.push(ic);
  }

  const positionIn = (channel: number): { child: number; tied: number[] } => {
    if (centre) {
      const y = windowCentre(oy, k, stride, padding, inShape.height);
      const x = windowCentre(ox, k, stride, padding, inShape.width);
      return { child: nodeOf(channel, y, x, inShape), tied: [] };
    }
    let bestP = -Infinity;
    let bestY = 0;
    let bestX = 0;
    const candidates: [number, number, number][] = [];
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        const iy = oy * stride - padding + ky;
        const ix = ox * stride - padding + kx;
        if (!inside(iy, ix)) continue;
        const p = product(channel, ky, kx);
        candidates.push([p, iy, ix]);
        if (p > bestP) [bestP, bestY, bestX] = [p, iy, ix];
      }
    }
    const tied = candidates
      .filter(([p, iy, ix]) => (iy !== bestY || ix !== bestX) && bestP - p <= nearTieTolerance * Math.abs(bestP))
      .map(([, iy, ix]) => nodeOf(channel, iy, ix, inShape));
    return { child: nodeOf(channel, bestY, bestX, inShape), tied };
  };

  const chosen = positionIn(best);
  const alternatives = [...chosen.tied, ...tiedChannels.flatMap((c) => [positionIn(c).child, ...positionIn(c).tied])];
  return { children: [chosen.child], alternatives: alternatives.length > 0 ? alternatives : null };
}

export const conv2dOpReference: OpReference<Conv2dLayer> = {
  forward: (layer, [input], [inShape], outShape) => conv2dReference(layer, input, inShape, outShape),
  select: (layer, site, [below], node) => selectConv(layer, below, site.inShapes[0], site.outShape, node, site.rule === 'official'),
};
