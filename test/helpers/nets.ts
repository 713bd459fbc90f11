import type { LayerSpec } from '../../src/ops/layers.ts';
import { chain, type Architecture } from '../../src/graph/model.ts';
import { unitRgbPreprocess } from '../../src/model/preprocess.ts';

/** A darknet-shaped toy (3×3 leaky conv, max-pool, 1×1 linear conv to the classes, global average pool, softmax). */
export function darknetLikeArchitecture(width: number, classes: number): Architecture {
  return {
    name: 'darknet-test',
    input: { channels: 3, height: 16, width: 16 },
    preprocess: unitRgbPreprocess(16, 16),
    ...chain([
      { kind: 'conv2d', name: 'conv1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: width, activation: 'leaky' },
      { kind: 'maxpool', name: 'pool1', size: 2, stride: 2 },
      { kind: 'conv2d', name: 'conv2', kernel: 1, stride: 1, padding: 0, inChannels: width, outChannels: classes, activation: 'linear' },
      { kind: 'globalAvgPool', name: 'avgpool1' },
      { kind: 'softmax', name: 'softmax' },
    ]),
  };
}

/** Small architectures that between them use every layer kind and option, at sizes that divide no tile. */
export function smallArchitectures(): Architecture[] {
  const a: LayerSpec[] = [
    { kind: 'conv2d', name: 'c1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 7, activation: 'relu' },
    { kind: 'conv2d', name: 'c2', kernel: 5, stride: 2, padding: 2, inChannels: 7, outChannels: 10, activation: 'leaky' },
    { kind: 'maxpool', name: 'p1', size: 2, stride: 2 },
    { kind: 'conv2d', name: 'c3', kernel: 1, stride: 1, padding: 0, inChannels: 10, outChannels: 13, activation: 'linear' },
    { kind: 'conv2d', name: 'c4', kernel: 3, stride: 2, padding: 0, inChannels: 13, outChannels: 9, activation: 'relu' },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'd1', inFeatures: 9 * 2 * 2, outFeatures: 37, activation: 'leaky' },
    { kind: 'dense', name: 'd2', inFeatures: 37, outFeatures: 11, activation: 'linear' },
    { kind: 'softmax', name: 'prob' },
  ];
  const b: LayerSpec[] = [
    { kind: 'conv2d', name: 'c1', kernel: 3, stride: 1, padding: 0, inChannels: 3, outChannels: 16, activation: 'leaky' },
    { kind: 'maxpool', name: 'p1', size: 3, stride: 2 },
    { kind: 'conv2d', name: 'c2', kernel: 3, stride: 1, padding: 1, inChannels: 16, outChannels: 33, activation: 'relu' },
    { kind: 'conv2d', name: 'c3', kernel: 1, stride: 1, padding: 0, inChannels: 33, outChannels: 20, activation: 'linear' },
    { kind: 'globalAvgPool', name: 'gap' },
    { kind: 'softmax', name: 'prob' },
  ];
  const c: LayerSpec[] = [
    { kind: 'conv2d', name: 'c1', kernel: 5, stride: 1, padding: 0, inChannels: 3, outChannels: 5, activation: 'relu' },
    { kind: 'conv2d', name: 'c2', kernel: 3, stride: 2, padding: 1, inChannels: 5, outChannels: 70, activation: 'relu' },
    { kind: 'maxpool', name: 'p1', size: 2, stride: 2 },
    { kind: 'conv2d', name: 'c3', kernel: 3, stride: 1, padding: 1, inChannels: 70, outChannels: 66, activation: 'leaky' },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'd1', inFeatures: 66 * 3 * 3, outFeatures: 130, activation: 'relu' },
    { kind: 'dense', name: 'd2', inFeatures: 130, outFeatures: 10, activation: 'linear' },
  ];
  return [
    { name: 'all-options', input: { channels: 3, height: 19, width: 23 }, preprocess: unitRgbPreprocess(23, 19), ...chain(a) },
    { name: 'gap-head', input: { channels: 3, height: 17, width: 17 }, preprocess: unitRgbPreprocess(17, 17), ...chain(b) },
    { name: 'wide-channels', input: { channels: 3, height: 16, width: 15 }, preprocess: unitRgbPreprocess(15, 16), ...chain(c) },
  ];
}

export function randomInput(length: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}
