import { activationReads, preActivationGradient } from '../common/gradient.ts';
import type { GradientReference } from '../common/op-definition.ts';
import { convGroups, convPads, type Conv2dLayer } from './spec.ts';

/**
 * d score / d input of a convolution, scattered: every output's pre-activation gradient times each weight of its
 * window, added at the input position that weight met (positions in the padding dropped). Groups read their own
 * input channels.
 */
export const conv2dGradientReference: GradientReference<Conv2dLayer> = {
  input(layer, _inputIndex, outGradient, _inputs, output, [inShape], outShape) {
    const pre = preActivationGradient(outGradient, output, layer.activation);
    const { kernel: k, stride: s, outChannels } = layer;
    const { top, left } = convPads(layer);
    const { inPerGroup, outPerGroup } = convGroups(layer);
    const { height: inH, width: inW } = inShape;
    const { height: outH, width: outW } = outShape;
    const inGradient = new Float64Array(inShape.channels * inH * inW);
    for (let oc = 0; oc < outChannels; oc++) {
      const firstIn = Math.floor(oc / outPerGroup) * inPerGroup;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const g = pre[(oc * outH + oy) * outW + ox];
          if (g === 0) continue;
          for (let i = 0; i < inPerGroup; i++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * s + ky - top;
              if (iy < 0 || iy >= inH) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * s + kx - left;
                if (ix < 0 || ix >= inW) continue;
                inGradient[((firstIn + i) * inH + iy) * inW + ix] += g * layer.weight[((oc * inPerGroup + i) * k + ky) * k + kx];
              }
            }
          }
        }
      }
    }
    return inGradient;
  },
};

export const conv2dGradientReads = activationReads;
