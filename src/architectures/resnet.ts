import { torchvisionPreprocess } from '../model/preprocess.ts';
import { inputTensor } from '../graph/model.ts';
import { GraphBuilder, type BuiltArchitecture } from './builder.ts';

export type ResNetDepth = 18 | 34 | 50 | 101 | 152;

/** Blocks per stage; 18 and 34 use basic blocks (two 3×3 convs), the rest bottlenecks (1×1, 3×3, 1×1 ×4). */
const stages: Record<ResNetDepth, { blocks: number[]; bottleneck: boolean }> = {
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
  101: { blocks: [3, 4, 23, 3], bottleneck: true },
  152: { blocks: [3, 8, 36, 3], bottleneck: true },
};

export interface ClassifierOptions {
  classes?: number;
  inputSize?: number;
}

/**
 * torchvision's ResNet (He et al.; v1.5: a bottleneck strides in its 3×3 conv): the 7×7/2 stem with a 3×3/2 max-pool,
 * four stages of residual blocks whose adds are followed by ReLU, a projection (1×1 conv + batch norm) where a block
 * changes size, global average pool, fc. Batch norms are folded into the convolutions before them; nodes are named by
 * torchvision's module paths (`layer3.5.conv2`), so its checkpoints load by name.
 */
export function resnet(depth: ResNetDepth, options: ClassifierOptions = {}): BuiltArchitecture {
  const { classes = 1000, inputSize = 224 } = options;
  const b = new GraphBuilder(inputSize);
  let x = b.conv('conv1', inputTensor, 64, 7, { stride: 2, padding: 3, activation: 'relu', batchNorm: 'bn1' });
  x = b.maxPool('maxpool', x, 3, 2, 1);
  const { blocks, bottleneck } = stages[depth];
  blocks.forEach((count, stage) => {
    const width = 64 * 2 ** stage;
    for (let i = 0; i < count; i++) {
      const p = `layer${stage + 1}.${i}`;
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const out = bottleneck ? width * 4 : width;
      let y: string;
      if (bottleneck) {
        y = b.conv(`${p}.conv1`, x, width, 1, { activation: 'relu', batchNorm: `${p}.bn1` });
        y = b.conv(`${p}.conv2`, y, width, 3, { stride, activation: 'relu', batchNorm: `${p}.bn2` });
        y = b.conv(`${p}.conv3`, y, out, 1, { batchNorm: `${p}.bn3` });
      } else {
        y = b.conv(`${p}.conv1`, x, width, 3, { stride, activation: 'relu', batchNorm: `${p}.bn1` });
        y = b.conv(`${p}.conv2`, y, width, 3, { batchNorm: `${p}.bn2` });
      }
      const skip = stride !== 1 || b.channelsOf(x) !== out ? b.conv(`${p}.downsample.0`, x, out, 1, { stride, batchNorm: `${p}.downsample.1` }) : x;
      x = b.add(p, skip, y, 'relu');
    }
  });
  x = b.globalAvgPool('avgpool', x);
  x = b.flatten('flatten', x);
  x = b.dense('fc', x, classes);
  return b.build(`resnet${depth}`, torchvisionPreprocess, b.softmax('prob', x));
}
