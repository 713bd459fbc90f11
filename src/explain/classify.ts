import { checkFiniteScores } from './finite-outputs.ts';
import { GpuModel, type ForwardResult } from '../forward/gpu-model.ts';
import type { RgbaImage } from '../image/rgba-image.ts';
import type { Model } from '../graph/model.ts';
import { probabilities, topPredictions, type Prediction } from './predictions.ts';
import type { ResampleGeometry } from '../model/preprocess.ts';

export interface Classification {
  predictions: Prediction[];
  /** Probabilities of every class. */
  probabilities: Float64Array;
  geometry: ResampleGeometry;
  forwardMs: number;
}

export function endsInSoftmax(model: Model): boolean {
  return model.nodes.find((n) => n.output === model.output)?.kind === 'softmax';
}

/** One forward pass on the GPU; the activations stay on the GPU model for backtracking. */
export async function classify(gpuModel: GpuModel, photo: RgbaImage, top = 5, geometry?: ResampleGeometry): Promise<Classification> {
  return classification(gpuModel, await gpuModel.run(photo, geometry), top);
}

/**
 * A photo's forward result as a Classification: its scores checked finite (on failure the error names the first layer
 * of `gpuModel`'s activations that is not: they must be this result's), then probabilities and the top classes.
 */
export async function classification(gpuModel: GpuModel, result: ForwardResult, top = 5): Promise<Classification> {
  await checkFiniteScores(gpuModel, result.scores);
  const probs = probabilities(result.scores, endsInSoftmax(gpuModel.model));
  return {
    predictions: topPredictions(probs, gpuModel.model.labels, top),
    probabilities: probs,
    geometry: result.geometry!,
    forwardMs: result.forwardMs,
  };
}
