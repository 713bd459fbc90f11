import type { OpDefinition } from '../common/op-definition.ts';
import { conv2dBacktrack } from './backtrack.ts';
import { conv2dForward } from './forward.ts';
import { conv2dOpReference } from './reference.ts';
import { conv2dOutputShape, conv2dWeights, convGroups, convPads, type Conv2dLayer, type Conv2dSpec } from './spec.ts';
import { conv2dGradientReads, conv2dGradientReference } from './gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';
import { activationCode, activations } from '../common/activation.ts';
import { createFilledBuffer } from '../../gpu/buffers.ts';

export const conv2dOp: OpDefinition<Conv2dSpec, Conv2dLayer> = {
  inputs: { min: 1, max: 1 },
  outputShape: conv2dOutputShape,
  readSpec: (f, name) => ({
    kind: 'conv2d',
    name,
    kernel: f.integer('kernel', 1),
    stride: f.integer('stride', 1),
    padding: f.integer('padding', 0),
    inChannels: f.integer('inChannels', 1),
    outChannels: f.integer('outChannels', 1),
    activation: f.oneOf('activation', activations),
    // Optional: models converted before grouped convolutions have neither, and keep their stored form.
    ...(f.has('groups') ? { groups: f.integer('groups', 1) } : {}),
    ...(f.has('pads') ? { pads: f.integers('pads', 4, 0) as [number, number, number, number] } : {}),
  }),
  weights: conv2dWeights,
  fanOut: () => 1,
  forward: conv2dForward,
  backtrack: conv2dBacktrack,
  reference: conv2dOpReference,
  gradient: {
    reads: conv2dGradientReads,
    reference: conv2dGradientReference,
    host: oneKernelGradient({
      shader: 'ops/conv2d/gradient_conv2d',
      binds: { output: true },
      upload: (context, layer) => ({ weight: createFilledBuffer(context, `${layer.name}.gradient weights`, layer.weight) }),
      uniforms: (layer) => ({
        kernel: layer.kernel,
        stride: layer.stride,
        top: convPads(layer).top,
        left: convPads(layer).left,
        inPerGroup: convGroups(layer).inPerGroup,
        outPerGroup: convGroups(layer).outPerGroup,
        activation: activationCode(layer.activation),
      }),
    }),
  },
};
