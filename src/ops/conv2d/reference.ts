import { activate } from '../common/activation.ts';
import { nearTieTolerance, type Choice, type OpReference } from '../common/op-definition.ts';
import { nodeOf, windowCentre } from '../common/window.ts';
import type { TensorShape } from '../../model/shapes.ts';
import { convGroups, convPads, type Conv2dLayer } from './spec.ts';

export function conv2dReference(layer: Conv2dLayer, input: Float32Array, inShape: TensorShape, outShape: TensorShape): Float32Array {
  const { kernel: k, stride: s, outChannels } = layer;
  const { top, left } = convPads(layer);
  const { inPerGroup, outPerGroup } = convGroups(layer);
  const { height: inH, width: inW } = inShape;
  const { height: outH, width: outW } = outShape;
  const out = new Float32Array(outChannels * outH * outW);
  const sum = new Float64Array(outH * outW);
  for (let oc = 0; oc < outChannels; oc++) {
    sum.fill(layer.bias[oc]);
    const firstIn = Math.floor(oc / outPerGroup) * inPerGroup;
    for (let i = 0; i < inPerGroup; i++) {
      const inPlane = (firstIn + i) * inH * inW;
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const w = layer.weight[((oc * inPerGroup + i) * k + ky) * k + kx];
          // Output columns whose input column ox·s + kx − left lies inside the image: no branch in the inner loop.
          const oxFirst = Math.max(0, Math.ceil((left - kx) / s));
          const oxEnd = Math.min(outW, Math.floor((inW - 1 + left - kx) / s) + 1);
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * s + ky - top;
            if (iy < 0 || iy >= inH) continue;
            const inRow = inPlane + iy * inW + kx - left;
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
 * In the node's receptive field: among its group's input channels, the one with the largest Σ w·a (ties: lowest), then
 * `hysm` the largest single w·a in that channel's window (in bounds; ties: lowest position), `official` the window
 * centre. A depthwise node's group is its one channel.
 */
function selectConv(layer: Conv2dLayer, below: Float32Array, inShape: TensorShape, outShape: TensorShape, node: number, centre: boolean): Choice {
  const { kernel: k, stride } = layer;
  const { top, left } = convPads(layer);
  const { inPerGroup, outPerGroup } = convGroups(layer);
  const plane = outShape.height * outShape.width;
  const oc = Math.floor(node / plane);
  const oy = Math.floor((node % plane) / outShape.width);
  const ox = node % outShape.width;
  const firstIn = Math.floor(oc / outPerGroup) * inPerGroup;
  // Indexed by the channel's place in the group: input channel firstIn + i.
  const sums = new Float64Array(inPerGroup);
  const magnitudes = new Float64Array(inPerGroup);
  const inside = (iy: number, ix: number) => iy >= 0 && ix >= 0 && iy < inShape.height && ix < inShape.width;
  const product = (i: number, ky: number, kx: number) => {
    const iy = oy * stride - top + ky;
    const ix = ox * stride - left + kx;
    return layer.weight[((oc * inPerGroup + i) * k + ky) * k + kx] * below[((firstIn + i) * inShape.height + iy) * inShape.width + ix];
  };
  for (let i = 0; i < inPerGroup; i++) {
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        if (!inside(oy * stride - top + ky, ox * stride - left + kx)) continue;
        const p = product(i, ky, kx);
        sums[i] += p;
        magnitudes[i] += Math.abs(p);
      }
    }
  }
  let best = 0;
  for (let i = 1; i < inPerGroup; i++) if (sums[i] > sums[best]) best = i;
  const tiedChannels: number[] = [];
  for (let i = 0; i < inPerGroup; i++) {
    const scale = Math.max(magnitudes[i], magnitudes[best]);
    if (i !== best && sums[best] - sums[i] <= nearTieTolerance * scale) tiedChannels.push(i);
  }

  const positionIn = (i: number): { child: number; tied: number[] } => {
    const channel = firstIn + i;
    if (centre) {
      const y = windowCentre(oy, k, stride, top, inShape.height);
      const x = windowCentre(ox, k, stride, left, inShape.width);
      return { child: nodeOf(channel, y, x, inShape), tied: [] };
    }
    let bestP = -Infinity;
    let bestY = 0;
    let bestX = 0;
    const candidates: [number, number, number][] = [];
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        const iy = oy * stride - top + ky;
        const ix = ox * stride - left + kx;
        if (!inside(iy, ix)) continue;
        const p = product(i, ky, kx);
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
