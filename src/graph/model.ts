import { hasWeights, weightCount, biasCount, type Layer, type LayerSpec } from '../model/layers.ts';
import type { Preprocess } from '../model/preprocess.ts';
import { activationShapes, type TensorShape } from '../model/shapes.ts';

/** A runnable model: an input, its preprocessing, layers with weights, and the labels of its outputs. */
export interface Model {
  name: string;
  input: TensorShape;
  preprocess: Preprocess;
  layers: Layer[];
  /** One label per output class, in the model's output order. */
  labels: string[];
}

/** A model's architecture alone: what the 3D view and shape checks need, before any weights exist. */
export interface Architecture {
  name: string;
  input: TensorShape;
  preprocess: Preprocess;
  layers: LayerSpec[];
}

export class ModelWeightsError extends Error {
  override name = 'ModelWeightsError';
}

/** Index of the first NaN or ±Infinity, or −1. A plain loop: VGG19 has 143 M weights (findIndex took 1.3 s). */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/**
 * Checks that layers chain, that every weight tensor has exactly the size its spec says and holds only finite numbers,
 * and that there is one label per class. Loaders call this last, so nothing half-loaded escapes.
 */
export function validateModel(model: Model): TensorShape[] {
  const shapes = activationShapes(model.input, model.layers);
  for (const layer of model.layers) {
    if (!hasWeights(layer)) continue;
    const { weight, bias } = layer as Layer & { weight: Float32Array; bias: Float32Array };
    const expected = [weightCount(layer), biasCount(layer)];
    for (const [what, tensor, count] of [
      ['weight', weight, expected[0]],
      ['bias', bias, expected[1]],
    ] as const) {
      if (!(tensor instanceof Float32Array) || tensor.length !== count) {
        throw new ModelWeightsError(
          `${layer.name}: ${what} has ${tensor?.length ?? 'no'} values, the layer needs ${count}`,
        );
      }
      const bad = firstNonFinite(tensor);
      if (bad >= 0) {
        throw new ModelWeightsError(`${layer.name}: ${what}[${bad}] is ${tensor[bad]}; the weights file is corrupt`);
      }
    }
  }
  const classes = shapes[shapes.length - 1].channels;
  if (model.labels.length !== classes) {
    throw new ModelWeightsError(`${model.name}: ${model.labels.length} labels for ${classes} output classes`);
  }
  return shapes;
}
