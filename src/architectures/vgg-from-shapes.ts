/**
 * The VGG architecture a checkpoint holds, read off its tensor shapes: checkpoints carry no architecture, and a VGG
 * fine-tuned to 10 classes or trained at another input size is still a VGG. Every loader that reads bare VGG tensors
 * (safetensors, Keras .h5) builds its architecture here, so a checkpoint of the wrong depth or shape is rejected before
 * any weight is read.
 */
import { vggArchitecture, type VggDepth } from './vgg.ts';
import type { Architecture } from '../graph/model.ts';

export class VggShapeError extends Error {
  override name = 'VggShapeError';
}

/** Convolutions per block, as in `vggLayers`. */
const blockConvs: Record<VggDepth, number[]> = { 11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2], 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4] };
const depthByConvs = new Map(Object.entries(blockConvs).map(([depth, blocks]) => [blocks.reduce((a, b) => a + b, 0), Number(depth) as VggDepth]));

export interface VggTensorShapes {
  /** Output channels of every convolution, in order. */
  convOutChannels: number[];
  /** [outFeatures, inFeatures] of fc6, fc7 and fc8. */
  dense: [number, number][];
}

/**
 * VGG16 or VGG19 with the widths, hidden size, classes and input side the shapes imply. `expectedDepth` (from `--arch`
 * or a weights manifest) must agree with the number of convolutions.
 */
export function vggArchitectureFromShapes(shapes: VggTensorShapes, expectedDepth?: VggDepth): Architecture {
  const convs = shapes.convOutChannels.length;
  const depth = depthByConvs.get(convs);
  if (depth === undefined) throw new VggShapeError(`has ${convs} convolutions; VGG11 has 8, VGG13 10, VGG16 13 and VGG19 16`);
  if (expectedDepth !== undefined && expectedDepth !== depth) {
    throw new VggShapeError(`has ${convs} convolutions but vgg${expectedDepth} has ${blockConvs[expectedDepth].reduce((a, b) => a + b, 0)}`);
  }
  const widths: number[] = [];
  let conv = 0;
  blockConvs[depth].forEach((count, block) => {
    const width = shapes.convOutChannels[conv];
    for (let i = 0; i < count; i++, conv++) {
      if (shapes.convOutChannels[conv] !== width) {
        throw new VggShapeError(
          `conv${block + 1}_${i + 1} has ${shapes.convOutChannels[conv]} channels but conv${block + 1}_1 has ${width}: not a VGG (every convolution of a block has the same width)`,
        );
      }
    }
    widths.push(width);
  });
  if (shapes.dense.length !== 3) throw new VggShapeError(`has ${shapes.dense.length} fully connected layers; VGG has 3 (fc6, fc7, fc8)`);
  const [[hidden, fc6In], [fc7Out, fc7In], [classes, fc8In]] = shapes.dense;
  if (fc7In !== hidden || fc7Out !== hidden || fc8In !== hidden) {
    throw new VggShapeError(`fully connected sizes ${JSON.stringify(shapes.dense)} do not chain as fc6 → fc7 → fc8`);
  }
  // fc6 sees the last block's width × (side / 32)² features.
  const cells = fc6In / widths[4];
  const side = Math.round(Math.sqrt(cells));
  if (!Number.isInteger(cells) || side * side !== cells) {
    throw new VggShapeError(`fc6 takes ${fc6In} inputs, which is not ${widths[4]} channels × a square feature map`);
  }
  return vggArchitecture(depth, { widths, hidden, classes, inputSize: side * 32 });
}
