import { opOf } from '../ops/registry.ts';
import { outputShape, type Architecture, type GraphNode, type Model } from './model.ts';

/** mulberry32: a small, fast, seeded PRNG, so test fixtures are generated rather than checked in. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Weights drawn He-uniform (variance 2 / fan-in), biases small and of both signs, so activations neither vanish nor
 * explode through a deep random net and every ReLU sees both signs. Uniform rather than normal: VGG19 has 143 M
 * weights, and this is what every test and benchmark waits for first.
 */
export function randomModel(arch: Architecture, seed: number, labels?: string[]): Model {
  const uniform = seededRandom(seed);
  const nodes = arch.nodes.map((spec): GraphNode => {
    const weights = opOf(spec).weights;
    if (!weights) return spec as GraphNode;
    const limit = Math.sqrt(6 / weights.fanIn(spec));
    const sizes = weights.sizes(spec);
    const weight = new Float32Array(sizes.weight);
    for (let i = 0; i < weight.length; i++) weight[i] = (2 * uniform() - 1) * limit;
    const bias = new Float32Array(sizes.bias);
    for (let i = 0; i < bias.length; i++) bias[i] = (2 * uniform() - 1) * 0.1;
    return { ...spec, weight, bias } as GraphNode;
  });
  const classes = outputShape(arch).channels;
  return {
    ...arch,
    nodes,
    labels: labels ?? Array.from({ length: classes }, (_, i) => `class ${i}`),
  };
}
