import { Dispatch } from '../../gpu/dispatch.ts';
import type { TensorShape } from '../../model/shapes.ts';
import type { Choice, OpDefinition } from '../common/op-definition.ts';
import { oneKernelBacktrack } from '../common/window-hosts.ts';
import { readsNothing } from '../common/gradient.ts';
import { globalAvgPoolGradientReference } from './gradient.ts';
import { oneKernelGradient } from '../common/gradient-host.ts';

export interface GlobalAvgPoolSpec {
  kind: 'globalAvgPool';
  name: string;
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

/** Channel node c: `hysm` every positive position of channel c, `official` its argmax (ties: the lowest position). */
function selectGlobalAvgPool(below: Float32Array, inShape: TensorShape, node: number, argmaxOnly: boolean): Choice {
  const plane = inShape.height * inShape.width;
  const first = node * plane;
  if (argmaxOnly) {
    let best = first;
    for (let i = first + 1; i < first + plane; i++) if (below[i] > below[best]) best = i;
    return { children: [best], alternatives: null };
  }
  const children: number[] = [];
  for (let i = first; i < first + plane; i++) if (below[i] > 0) children.push(i);
  return { children, alternatives: null };
}

export const globalAvgPoolOp: OpDefinition<GlobalAvgPoolSpec> = {
  inputs: { min: 1, max: 1 },
  outputShape: (_layer, [input]) => ({ channels: input.channels, height: 1, width: 1 }),
  readSpec: (_f, name) => ({ kind: 'globalAvgPool', name }),
  fanOut: (_layer, _i, [inShape]) => inShape.height * inShape.width,
  forward: {
    create: (context, _layer, [input], output) =>
      Dispatch.create(
        context,
        { shader: 'ops/global-avg-pool/global_avg_pool' },
        { pixels: input.shape.width * input.shape.height, c4: input.c4 },
        { input: input.buffer, output: output.buffer },
        [input.c4, 1, input.batch],
      ),
  },
  backtrack: oneKernelBacktrack('ops/global-avg-pool/backtrack_global_avg_pool', (_layer, env) => ({
    width: env.site.inShapes[0].width,
    height: env.site.inShapes[0].height,
    pixelStride: env.inputs[0].c4 * 4,
    argmaxOnly: env.site.rule === 'official' ? 1 : 0,
  })),
  reference: {
    forward: (_layer, [input], [inShape]) => globalAvgPoolReference(input, inShape),
    select: (_layer, site, [below], node) => selectGlobalAvgPool(below, site.inShapes[0], node, site.rule === 'official'),
  },
  gradient: { reads: readsNothing, reference: globalAvgPoolGradientReference, host: oneKernelGradient({ shader: 'ops/global-avg-pool/gradient_global_avg_pool' }) },
};
