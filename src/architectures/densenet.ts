import { torchvisionPreprocess } from '../model/preprocess.ts';
import { inputTensor } from '../graph/model.ts';
import { GraphBuilder, type BuiltArchitecture } from './builder.ts';
import type { ClassifierOptions } from './resnet.ts';

/**
 * torchvision's DenseNet-121 (Huang et al.): growth rate 32, dense blocks of 6, 12, 24 and 16 layers, each layer
 * BN → ReLU → 1×1 conv (4·32) → BN → ReLU → 3×3 conv (32) on the concatenation of every feature map before it in the
 * block, transitions (BN → ReLU → 1×1 conv halving the channels → 2×2/2 average pool), a final BN → ReLU, global
 * average pool and fc. A layer's first batch norm cannot be folded (it precedes its ReLU and conv), so it is a
 * `batchnorm` node with the ReLU fused; the second is folded into the 1×1 conv. Node names are torchvision's.
 */
export function densenet121(options: ClassifierOptions = {}): BuiltArchitecture {
  const { classes = 1000, inputSize = 224 } = options;
  const growth = 32;
  const b = new GraphBuilder(inputSize);
  let x = b.conv('features.conv0', inputTensor, 64, 7, { stride: 2, padding: 3, activation: 'relu', batchNorm: 'features.norm0' });
  x = b.maxPool('features.pool0', x, 3, 2, 1);
  [6, 12, 24, 16].forEach((layers, block) => {
    const features = [x];
    for (let l = 1; l <= layers; l++) {
      const p = `features.denseblock${block + 1}.denselayer${l}`;
      const input = features.length === 1 ? features[0] : b.concat(`${p}.input`, [...features]);
      let y = b.batchNorm(`${p}.norm1`, input, 'relu');
      y = b.conv(`${p}.conv1`, y, 4 * growth, 1, { activation: 'relu', batchNorm: `${p}.norm2` });
      features.push(b.conv(`${p}.conv2`, y, growth, 3, { bias: false }));
    }
    x = b.concat(`features.denseblock${block + 1}`, features);
    if (block < 3) {
      const p = `features.transition${block + 1}`;
      x = b.batchNorm(`${p}.norm`, x, 'relu');
      x = b.conv(`${p}.conv`, x, b.channelsOf(x) / 2, 1, { bias: false });
      x = b.avgPool(`${p}.pool`, x, 2, 2);
    }
  });
  x = b.batchNorm('features.norm5', x, 'relu');
  x = b.globalAvgPool('avgpool', x);
  x = b.flatten('flatten', x);
  x = b.dense('classifier', x, classes);
  return b.build('densenet121', torchvisionPreprocess, b.softmax('prob', x));
}
