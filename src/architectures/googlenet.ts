import { torchvisionPreprocess } from '../model/preprocess.ts';
import { inputTensor } from '../graph/model.ts';
import { GraphBuilder, type BuiltArchitecture } from './builder.ts';
import type { ClassifierOptions } from './resnet.ts';

/** Inception modules: 1×1; 3×3 reduce, 3×3; "5×5" reduce, "5×5" (a 3×3 in torchvision); pool projection. */
const modules: [string, number, number, number, number, number, number][] = [
  ['inception3a', 64, 96, 128, 16, 32, 32],
  ['inception3b', 128, 128, 192, 32, 96, 64],
  ['inception4a', 192, 96, 208, 16, 48, 64],
  ['inception4b', 160, 112, 224, 24, 64, 64],
  ['inception4c', 128, 128, 256, 24, 64, 64],
  ['inception4d', 112, 144, 288, 32, 64, 64],
  ['inception4e', 256, 160, 320, 32, 128, 128],
  ['inception5a', 256, 160, 320, 32, 128, 128],
  ['inception5b', 384, 192, 384, 48, 128, 128],
];

/**
 * torchvision's GoogLeNet (Inception v1, Szegedy et al.) without the auxiliary heads (training only): conv → batch norm
 * (ε 0.001, folded) → ReLU throughout, max-pools in ceil mode, nine inception modules whose four branches are
 * concatenated, global average pool, fc. torchvision's pretrained weights expect its `transform_input`, which maps
 * ImageNet-normalised input to (x − 0.5) / 0.5: that is the preprocessing here.
 */
export function googlenet(options: ClassifierOptions = {}): BuiltArchitecture {
  const { classes = 1000, inputSize = 224 } = options;
  const b = new GraphBuilder(inputSize, 1e-3);
  const basic = (name: string, input: string, out: number, kernel: number, stride = 1, padding = Math.floor(kernel / 2)) =>
    b.conv(name, input, out, kernel, { stride, padding, activation: 'relu', batchNorm: `${name}.bn`, source: `${name}.conv` });
  let x = basic('conv1', inputTensor, 64, 7, 2, 3);
  x = b.maxPool('maxpool1', x, 3, 2, 0, true);
  x = basic('conv2', x, 64, 1);
  x = basic('conv3', x, 192, 3);
  x = b.maxPool('maxpool2', x, 3, 2, 0, true);
  for (const [name, c1, r3, c3, r5, c5, pool] of modules) {
    if (name === 'inception4a') x = b.maxPool('maxpool3', x, 3, 2, 0, true);
    if (name === 'inception5a') x = b.maxPool('maxpool4', x, 2, 2, 0, true);
    const branch1 = basic(`${name}.branch1`, x, c1, 1);
    const branch2 = basic(`${name}.branch2.1`, basic(`${name}.branch2.0`, x, r3, 1), c3, 3);
    const branch3 = basic(`${name}.branch3.1`, basic(`${name}.branch3.0`, x, r5, 1), c5, 3);
    const branch4 = basic(`${name}.branch4.1`, b.maxPool(`${name}.branch4.0`, x, 3, 1, 1, true), pool, 1);
    x = b.concat(name, [branch1, branch2, branch3, branch4]);
  }
  x = b.globalAvgPool('avgpool', x);
  x = b.flatten('flatten', x);
  x = b.dense('fc', x, classes);
  return b.build('googlenet', { ...torchvisionPreprocess, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, b.softmax('prob', x));
}
