import { chainShapes } from '../src/graph/model.ts';
import { describe, expect, it } from 'vitest';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import type { DenseLayer } from '../src/ops/layers.ts';


describe('built-in VGG architectures', () => {
  for (const side of [224, 112, 448, 100, 32]) {
    it(`VGG16 and VGG19 at ${side}×${side}: every layer fits the one below, fc6 takes ⌊${side}/32⌋² positions`, () => {
      for (const depth of [16, 19] as const) {
        const arch = vggArchitecture(depth, { inputSize: side });
        const shapes = chainShapes(arch.input, arch.nodes);
        const fc6 = arch.nodes.find((l) => l.name === 'fc6') as unknown as DenseLayer;
        expect(fc6.inFeatures).toBe(512 * Math.floor(side / 32) ** 2);
        expect(shapes.at(-1)).toEqual({ channels: 1000, height: 1, width: 1 });
        expect(arch.nodes.filter((l) => l.kind === 'conv2d')).toHaveLength(depth - 3);
      }
    });
  }
});
