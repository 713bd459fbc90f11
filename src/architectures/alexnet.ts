import { caffePreprocess, torchvisionPreprocess } from '../model/preprocess.ts';
import { inputTensor } from '../graph/model.ts';
import { GraphBuilder, type BuiltArchitecture } from './builder.ts';
import type { ClassifierOptions } from './resnet.ts';

/**
 * torchvision's AlexNet (the one-GPU variant of Krizhevsky's): five convolutions with ReLU and three max-pools, an
 * adaptive average pool to 6×6, three fully connected layers. Node names are torchvision's (`features.3`,
 * `classifier.4`).
 */
export function alexnet(options: ClassifierOptions = {}): BuiltArchitecture {
  const { classes = 1000, inputSize = 224 } = options;
  const b = new GraphBuilder(inputSize);
  let x = b.conv('features.0', inputTensor, 64, 11, { stride: 4, padding: 2, activation: 'relu' });
  x = b.maxPool('features.2', x, 3, 2);
  x = b.conv('features.3', x, 192, 5, { padding: 2, activation: 'relu' });
  x = b.maxPool('features.5', x, 3, 2);
  x = b.conv('features.6', x, 384, 3, { activation: 'relu' });
  x = b.conv('features.8', x, 256, 3, { activation: 'relu' });
  x = b.conv('features.10', x, 256, 3, { activation: 'relu' });
  x = b.maxPool('features.12', x, 3, 2);
  x = b.adaptiveAvgPool('avgpool', x, 6, 6);
  x = b.flatten('flatten', x);
  x = b.dense('classifier.1', x, 4096, 'relu');
  x = b.dense('classifier.4', x, 4096, 'relu');
  x = b.dense('classifier.6', x, classes);
  return b.build('alexnet', torchvisionPreprocess, b.softmax('prob', x));
}

/**
 * The original AlexNet as Caffe's BVLC reference model has it (227×227 input): two groups in conv2, conv4 and conv5
 * (the two GPUs of the paper), local response normalisation after conv1 and conv2, fc6–fc8.
 */
export function caffeAlexnet(options: ClassifierOptions = {}): BuiltArchitecture {
  const { classes = 1000, inputSize = 227 } = options;
  const b = new GraphBuilder(inputSize);
  let x = b.conv('conv1', inputTensor, 96, 11, { stride: 4, padding: 0, activation: 'relu' });
  x = b.lrn('norm1', x, 5, 1e-4, 0.75, 1);
  x = b.maxPool('pool1', x, 3, 2);
  x = b.conv('conv2', x, 256, 5, { padding: 2, groups: 2, activation: 'relu' });
  x = b.lrn('norm2', x, 5, 1e-4, 0.75, 1);
  x = b.maxPool('pool2', x, 3, 2);
  x = b.conv('conv3', x, 384, 3, { activation: 'relu' });
  x = b.conv('conv4', x, 384, 3, { groups: 2, activation: 'relu' });
  x = b.conv('conv5', x, 256, 3, { groups: 2, activation: 'relu' });
  x = b.maxPool('pool5', x, 3, 2);
  x = b.flatten('flatten', x);
  x = b.dense('fc6', x, 4096, 'relu');
  x = b.dense('fc7', x, 4096, 'relu');
  x = b.dense('fc8', x, classes);
  return b.build('alexnet-caffe', caffePreprocess, b.softmax('prob', x));
}
