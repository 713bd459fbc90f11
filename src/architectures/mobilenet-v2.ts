import { torchvisionPreprocess } from '../model/preprocess.ts';
import { inputTensor } from '../graph/model.ts';
import { GraphBuilder, type BuiltArchitecture } from './builder.ts';
import type { ClassifierOptions } from './resnet.ts';

/** Expansion t, output channels c, repeats n, first stride s (Sandler et al., Table 2). */
const settings: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/**
 * torchvision's MobileNetV2: inverted residual blocks (1×1 expansion with ReLU6, 3×3 depthwise with ReLU6, linear
 * 1×1 projection, an add where the block keeps its size), then a 1×1 conv to 1280, global average pool, fc. Batch
 * norms are folded; nodes are named by torchvision's module paths (`features.4.conv.1.0`).
 */
export function mobilenetV2(options: ClassifierOptions = {}): BuiltArchitecture {
  const { classes = 1000, inputSize = 224 } = options;
  const b = new GraphBuilder(inputSize);
  let x = b.conv('features.0.0', inputTensor, 32, 3, { stride: 2, activation: 'relu6', batchNorm: 'features.0.1' });
  let index = 1;
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++, index++) {
      const p = `features.${index}.conv`;
      const stride = i === 0 ? s : 1;
      const inChannels = b.channelsOf(x);
      const hidden = inChannels * t;
      let y = x;
      let k = 0;
      if (t !== 1) y = b.conv(`${p}.${k}.0`, y, hidden, 1, { activation: 'relu6', batchNorm: `${p}.${k++}.1` });
      y = b.conv(`${p}.${k}.0`, y, hidden, 3, { stride, groups: hidden, activation: 'relu6', batchNorm: `${p}.${k++}.1` });
      y = b.conv(`${p}.${k}`, y, c, 1, { batchNorm: `${p}.${k + 1}` });
      x = stride === 1 && inChannels === c ? b.add(`features.${index}`, x, y) : y;
    }
  }
  x = b.conv(`features.${index}.0`, x, 1280, 1, { activation: 'relu6', batchNorm: `features.${index}.1` });
  x = b.globalAvgPool('avgpool', x);
  x = b.flatten('flatten', x);
  x = b.dense('classifier.1', x, classes);
  return b.build('mobilenet_v2', torchvisionPreprocess, b.softmax('prob', x));
}
