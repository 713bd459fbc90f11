/**
 * Two small graphs that between them use every op kind and option the peers' writers handle: same / asymmetric /
 * strided padding, grouped and depthwise convs, every activation, padded and ceil-mode pools of both kinds (padding
 * counted and not), batch norm on maps and vectors, LRN, add, concat of maps and of vectors, a flatten read by a
 * dense layer and one read by something else, a vector fed back to a conv, an adaptive pool tiling evenly.
 */
import type { Architecture, ArchitectureNode } from '../../src/graph/model.ts';
import type { Activation } from '../../src/ops/layers.ts';
import { unitRgbPreprocess } from '../../src/model/preprocess.ts';

type Pads = [number, number, number, number];

function conv(name: string, input: string, inChannels: number, outChannels: number, kernel: number, stride: number, padding: number | Pads, activation: Activation, groups = 1): ArchitectureNode {
  const pads = typeof padding === 'number' ? {} : { pads: padding };
  return { kind: 'conv2d', name, inputs: [input], output: name, kernel, stride, padding: typeof padding === 'number' ? padding : 0, inChannels, outChannels, activation, groups, ...pads };
}

export function everyOpArchitectures(): Architecture[] {
  const a: ArchitectureNode[] = [
    conv('c1', 'input', 3, 8, 3, 1, 1, 'relu'),
    conv('c2', 'c1', 8, 8, 3, 2, [0, 1, 1, 0], 'leaky'),
    { kind: 'maxpool', name: 'mp1', inputs: ['c2'], output: 'mp1', size: 3, stride: 2, padding: 1 },
    conv('dw', 'mp1', 8, 16, 3, 1, 1, 'relu6', 8),
    conv('g4', 'dw', 16, 12, 1, 1, 0, 'linear', 4),
    { kind: 'batchnorm', name: 'bn', inputs: ['g4'], output: 'bn', channels: 12, activation: 'leaky' },
    { kind: 'lrn', name: 'lrn', inputs: ['bn'], output: 'lrn', size: 3, alpha: 0.4, beta: 0.75, bias: 1.5 },
    { kind: 'avgpool', name: 'avgSame', inputs: ['lrn'], output: 'avgSame', size: 3, stride: 1, padding: 1, countIncludePad: false, ceilMode: false },
    { kind: 'avgpool', name: 'avgIncl', inputs: ['lrn'], output: 'avgIncl', size: 3, stride: 1, padding: 1, countIncludePad: true, ceilMode: false },
    { kind: 'add', name: 'sum', inputs: ['avgSame', 'avgIncl'], output: 'sum', activation: 'relu' },
    { kind: 'concat', name: 'cat', inputs: ['sum', 'lrn'], output: 'cat' },
    { kind: 'maxpool', name: 'mpCeil', inputs: ['cat'], output: 'mpCeil', size: 3, stride: 2, padding: 0, ceilMode: true },
    { kind: 'avgpool', name: 'avgCeil', inputs: ['mpCeil'], output: 'avgCeil', size: 3, stride: 2, padding: 1, countIncludePad: true, ceilMode: true },
    { kind: 'avgpool', name: 'avgCeilEx', inputs: ['avgCeil'], output: 'avgCeilEx', size: 2, stride: 1, padding: 1, countIncludePad: false, ceilMode: true },
    { kind: 'activation', name: 'act6', inputs: ['avgCeilEx'], output: 'act6', activation: 'relu6' },
    { kind: 'flatten', name: 'flat', inputs: ['act6'], output: 'flat' },
    { kind: 'dense', name: 'fc1', inputs: ['flat'], output: 'fc1', inFeatures: 216, outFeatures: 19, activation: 'leaky' },
    { kind: 'dense', name: 'fc2', inputs: ['fc1'], output: 'fc2', inFeatures: 19, outFeatures: 7, activation: 'linear' },
    { kind: 'softmax', name: 'prob', inputs: ['fc2'], output: 'prob' },
  ];
  const b: ArchitectureNode[] = [
    conv('c1', 'input', 3, 6, 5, 2, 2, 'relu'),
    { kind: 'adaptiveAvgPool', name: 'ada', inputs: ['c1'], output: 'ada', outHeight: 2, outWidth: 3 },
    { kind: 'flatten', name: 'flatMap', inputs: ['ada'], output: 'flatMap' },
    { kind: 'globalAvgPool', name: 'gap', inputs: ['c1'], output: 'gap' },
    conv('onGap', 'gap', 6, 5, 1, 1, 0, 'leaky'),
    { kind: 'flatten', name: 'flatGap', inputs: ['onGap'], output: 'flatGap' },
    { kind: 'concat', name: 'vcat', inputs: ['flatMap', 'flatGap'], output: 'vcat' },
    { kind: 'batchnorm', name: 'vbn', inputs: ['vcat'], output: 'vbn', channels: 41, activation: 'relu6' },
    { kind: 'activation', name: 'vleaky', inputs: ['vbn'], output: 'vleaky', activation: 'leaky' },
    { kind: 'dense', name: 'fc', inputs: ['vleaky'], output: 'fc', inFeatures: 41, outFeatures: 9, activation: 'linear' },
    { kind: 'softmax', name: 'prob', inputs: ['fc'], output: 'prob' },
  ];
  return [
    { name: 'every-op-a', input: { channels: 3, height: 19, width: 17 }, preprocess: unitRgbPreprocess(17, 19), nodes: a, output: 'prob' },
    { name: 'every-op-b', input: { channels: 3, height: 16, width: 24 }, preprocess: unitRgbPreprocess(24, 16), nodes: b, output: 'prob' },
  ];
}
