import { createFilledBuffer } from '../../gpu/buffers.ts';
import { Dispatch, foldedGrid } from '../../gpu/dispatch.ts';
import { ModelShapeError, type TensorShape } from '../../model/shapes.ts';
import { activate, activationCode, activations } from '../common/activation.ts';
import type { OpDefinition } from '../common/op-definition.ts';
import { sameNodeBacktrack, sameNodeChoice } from '../common/same-node.ts';
import { activationReads } from '../common/gradient.ts';
import { batchNormGradientReference } from './gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';
import type { BatchNormSpec, BatchNormLayer } from './spec.ts';

export type { BatchNormSpec, BatchNormLayer } from './spec.ts';

function batchNormOutputShape(layer: BatchNormSpec, [input]: TensorShape[]): TensorShape {
  if (layer.channels !== input.channels) {
    throw new ModelShapeError(`${layer.name}: normalises ${layer.channels} channels but its input has ${input.channels}`);
  }
  return input;
}

/** Per-channel values padded with 0 to whole vec4s, as the kernel reads them. */
function padded(values: Float32Array, c4: number): Float32Array {
  const out = new Float32Array(c4 * 4);
  out.set(values);
  return out;
}

function batchNormReference(layer: BatchNormLayer, input: Float32Array, shape: TensorShape): Float32Array {
  const plane = shape.height * shape.width;
  const out = new Float32Array(input.length);
  for (let c = 0; c < shape.channels; c++) {
    const scale = layer.weight[c];
    const shift = layer.bias[c];
    for (let p = c * plane; p < (c + 1) * plane; p++) out[p] = activate(input[p] * scale + shift, layer.activation);
  }
  return out;
}

export const batchNormOp: OpDefinition<BatchNormSpec, BatchNormLayer> = {
  inputs: { min: 1, max: 1 },
  outputShape: batchNormOutputShape,
  readSpec: (f, name) => ({ kind: 'batchnorm', name, channels: f.integer('channels', 1), activation: f.oneOf('activation', activations) }),
  // A per-channel scale sees one input: fan-in 1 (random models draw scales of both signs, as trained γ can be).
  weights: {
    shape: (layer) => [layer.channels],
    sizes: (layer) => ({ weight: layer.channels, bias: layer.channels }),
    fanIn: () => 1,
  },
  sameNode: true,
  fanOut: () => 1,
  forward: {
    create: (context, layer, [input], output) => {
      const vec4s = output.shape.height * output.shape.width * output.c4 * output.batch;
      const scale = createFilledBuffer(context, `${layer.name}.scale`, padded(layer.weight, output.c4));
      const shift = createFilledBuffer(context, `${layer.name}.shift`, padded(layer.bias, output.c4));
      const [x, y] = foldedGrid(vec4s, 64);
      return Dispatch.create(
        context,
        { shader: 'ops/batchnorm/batchnorm' },
        { vec4s, c4: output.c4, activation: activationCode(layer.activation) },
        { input: input.buffer, scale, shift, output: output.buffer },
        [x * 64, y],
        [scale, shift],
      );
    },
  },
  backtrack: sameNodeBacktrack,
  reference: {
    forward: (layer, [input], [shape]) => batchNormReference(layer, input, shape),
    select: (_layer, _site, _inputs, node) => sameNodeChoice(node),
  },
  gradient: {
    reads: activationReads,
    reference: batchNormGradientReference,
    host: oneKernelGradient({
      shader: 'ops/batchnorm/gradient_batchnorm',
      binds: { output: true },
      upload: (context, layer) => ({ scale: createFilledBuffer(context, `${layer.name}.gradient scale`, layer.weight) }),
      uniforms: (layer) => ({ activation: activationCode(layer.activation) }),
    }),
  },
};
