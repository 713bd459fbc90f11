import type { LayerSpec } from '../ops/layers.ts';
import { chain, inputTensor, type Architecture } from '../graph/model.ts';
import { GraphBuilder, type BuiltArchitecture } from './builder.ts';
import { torchvisionPreprocess } from '../model/preprocess.ts';

export type VggDepth = 11 | 13 | 16 | 19;
export const builtinArchitectures = ['vgg11', 'vgg13', 'vgg16', 'vgg19'] as const;
export type BuiltinArchitecture = (typeof builtinArchitectures)[number];

/** Convolutions per block; every block ends in a 2×2/2 max-pool. */
const vggBlocks: Record<VggDepth, number[]> = {
  11: [1, 1, 2, 2, 2],
  13: [2, 2, 2, 2, 2],
  16: [2, 2, 3, 3, 3],
  19: [2, 2, 4, 4, 4],
};

export interface VggOptions {
  classes?: number;
  /** Channels of the five blocks; ImageNet VGG: 64, 128, 256, 512, 512. */
  widths?: readonly number[];
  /** Input side; the classifier sees ⌊side / 32⌋² positions (each max-pool floors). */
  inputSize?: number;
  /** Width of fc6 and fc7; ImageNet VGG: 4096. */
  hidden?: number;
}

/**
 * VGG-11/13/16/19 for ImageNet (Simonyan & Zisserman, configurations A, B, D and E): 3×3/1 convs with padding 1 and ReLU, five
 * max-pools, then fc6 (25088 → 4096), fc7 (4096 → 4096), fc8 (4096 → classes) and softmax. Layer names follow the
 * paper (`conv3_2`, `pool3`, `fc6`); loaders map checkpoint names onto them.
 */
export function vggLayers(depth: VggDepth, options: VggOptions = {}): LayerSpec[] {
  const { classes = 1000, widths = [64, 128, 256, 512, 512], inputSize = 224, hidden = 4096 } = options;
  const layers: LayerSpec[] = [];
  let channels = 3;
  vggBlocks[depth].forEach((convs, block) => {
    for (let i = 0; i < convs; i++) {
      layers.push({
        kind: 'conv2d',
        name: `conv${block + 1}_${i + 1}`,
        kernel: 3,
        stride: 1,
        padding: 1,
        inChannels: channels,
        outChannels: widths[block],
        activation: 'relu',
      });
      channels = widths[block];
    }
    layers.push({ kind: 'maxpool', name: `pool${block + 1}`, size: 2, stride: 2 });
  });
  layers.push(
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dense', name: 'fc6', inFeatures: widths[4] * Math.floor(inputSize / 32) ** 2, outFeatures: hidden, activation: 'relu' },
    { kind: 'dense', name: 'fc7', inFeatures: hidden, outFeatures: hidden, activation: 'relu' },
    { kind: 'dense', name: 'fc8', inFeatures: hidden, outFeatures: classes, activation: 'linear' },
    { kind: 'softmax', name: 'prob' },
  );
  return layers;
}

export function vggArchitecture(depth: VggDepth, options: VggOptions = {}): Architecture {
  const side = options.inputSize ?? 224;
  return {
    name: `vgg${depth}`,
    input: { channels: 3, height: side, width: side },
    preprocess: { ...torchvisionPreprocess, width: side, height: side },
    ...chain(vggLayers(depth, options)),
  };
}

export function builtinArchitecture(name: string): Architecture {
  const depth = /^vgg(11|13|16|19)$/.exec(name);
  if (depth) return vggArchitecture(Number(depth[1]) as VggDepth);
  throw new Error(`unknown architecture "${name}"; built in: ${builtinArchitectures.join(', ')}`);
}

/** The depth a VGG name stands for. */
export function vggDepth(name: BuiltinArchitecture): VggDepth {
  return Number(name.slice(3)) as VggDepth;
}

/**
 * torchvision's `vgg11_bn` … `vgg19_bn`: each 3×3 conv followed by a batch norm (folded into it) and ReLU, the five
 * max-pools, an adaptive average pool to 7×7 (the identity at 224), classifier.0/3/6 with dropout dropped. Nodes carry
 * torchvision's module paths (`features.4`, `classifier.3`), so its state_dicts and timm's `*.tv_in1k` load by name.
 */
export function vggBn(depth: VggDepth, options: { classes?: number; inputSize?: number } = {}): BuiltArchitecture {
  const { classes = 1000, inputSize = 224 } = options;
  const widths = [64, 128, 256, 512, 512];
  const b = new GraphBuilder(inputSize);
  let x = inputTensor;
  let index = 0;
  vggBlocks[depth].forEach((convs, block) => {
    for (let i = 0; i < convs; i++) {
      x = b.conv(`features.${index}`, x, widths[block], 3, { activation: 'relu', batchNorm: `features.${index + 1}`, bias: true });
      index += 3;
    }
    x = b.maxPool(`features.${index}`, x, 2, 2);
    index += 1;
  });
  x = b.adaptiveAvgPool('avgpool', x, 7, 7);
  x = b.flatten('flatten', x);
  x = b.dense('classifier.0', x, 4096, 'relu');
  x = b.dense('classifier.3', x, 4096, 'relu');
  x = b.dense('classifier.6', x, classes);
  return b.build(`vgg${depth}_bn`, torchvisionPreprocess, b.softmax('prob', x));
}

/** The VGG depth of a torchvision-named `vgg*_bn` checkpoint: how many 3×3 convs its `features` hold. */
export function vggBnDepth(convs: number): VggDepth | null {
  return ({ 8: 11, 10: 13, 13: 16, 16: 19 } as Record<number, VggDepth>)[convs] ?? null;
}
