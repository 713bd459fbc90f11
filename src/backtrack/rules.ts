import type { LayerSpec } from '../model/layers.ts';
import type { TensorShape } from '../model/shapes.ts';

/**
 * The two published rule sets:
 * - `hysm`: "How you see me" (Gandikota & Mishra): keep every positive contributor at the fc→spatial boundary and at
 *   a global average pool; in a convolution take the strongest position inside the strongest input channel.
 * - `official`: "CNN Fixations" (Mopuri, Garg & Babu, IEEE TIP), as its reference code does it: keep only the single
 *   largest contributor at the boundary, the argmax at a global average pool, and the window centre in a convolution.
 * Both keep every positive contributor between fully connected layers and the argmax of a max-pool.
 */
export type Rule = 'hysm' | 'official';
export const rules: readonly Rule[] = ['hysm', 'official'];

/** How one layer maps a node of its output to nodes of its input. */
export type Selection =
  | { kind: 'identity' }
  | { kind: 'dense'; topOnly: boolean }
  | { kind: 'conv2d'; centre: boolean }
  | { kind: 'maxpool' }
  | { kind: 'globalAvgPool'; argmaxOnly: boolean };

/**
 * A dense layer sits at the spatial boundary when its input is a flattened feature map (VGG's fc6 after pool5): that is
 * where the official rule keeps a single contributor.
 */
export function isSpatialBoundary(layers: readonly LayerSpec[], index: number, shapes: readonly TensorShape[]): boolean {
  const below = layers[index - 1];
  const spatial = shapes[index - 1];
  return layers[index].kind === 'dense' && below?.kind === 'flatten' && spatial !== undefined && spatial.height * spatial.width > 1;
}

export function selectionFor(layers: readonly LayerSpec[], index: number, shapes: readonly TensorShape[], rule: Rule): Selection {
  const layer = layers[index];
  switch (layer.kind) {
    case 'flatten':
    case 'softmax':
      return { kind: 'identity' };
    case 'dense':
      return { kind: 'dense', topOnly: rule === 'official' && isSpatialBoundary(layers, index, shapes) };
    case 'conv2d':
      return { kind: 'conv2d', centre: rule === 'official' };
    case 'maxpool':
      return { kind: 'maxpool' };
    case 'globalAvgPool':
      return { kind: 'globalAvgPool', argmaxOnly: rule === 'official' };
  }
}

/** The official rule's window centre, S·y − P + (K − 1)/2, clamped into the input when padding pushes it outside. */
export function windowCentre(out: number, kernel: number, stride: number, padding: number, size: number): number {
  return Math.min(size - 1, Math.max(0, out * stride - padding + Math.floor((kernel - 1) / 2)));
}
