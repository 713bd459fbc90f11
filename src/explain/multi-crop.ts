/**
 * Multi-crop explanation as the CNN-Fixations reference code does it: the photo's shorter side scaled to 256, the four
 * corner crops and the centre crop of the model's input size; the prediction is the mean over the crops (or, when no
 * crop's own top class agrees with the mean, the centre crop's); the crops whose top class is that prediction are
 * backtracked and their fixations merged in photo pixels.
 */
import type { Rule } from '../ops/common/rules.ts';
import { fixationsInPhoto, type Explainer } from './explain.ts';
import type { RgbaImage } from '../image/rgba-image.ts';
import type { ResampleGeometry } from '../model/preprocess.ts';
import type { Point } from '../postprocess/geometry.ts';
import { topPredictions, type Prediction } from './predictions.ts';

export const multiCropShorterSide = 256;

/** Top-left, top-right, bottom-left, bottom-right, centre. */
export function multiCropGeometries(imageWidth: number, imageHeight: number, modelWidth: number, modelHeight: number, shorter = multiCropShorterSide): ResampleGeometry[] {
  const scale = shorter / Math.min(imageWidth, imageHeight);
  const width = Math.min(modelWidth / scale, imageWidth);
  const height = Math.min(modelHeight / scale, imageHeight);
  const right = imageWidth - width;
  const bottom = imageHeight - height;
  const corners: [number, number][] = [[0, 0], [right, 0], [0, bottom], [right, bottom], [right / 2, bottom / 2]];
  return corners.map(([x, y]) => ({
    imageWidth,
    imageHeight,
    content: { x: 0, y: 0, width: modelWidth, height: modelHeight },
    source: { x, y, width, height },
  }));
}

export interface MultiCropExplanation {
  prediction: Prediction;
  /** The mean of the crops' class probabilities, top 5. */
  predictions: Prediction[];
  cropTopClasses: number[];
  /** Which crops were backtracked for `prediction`. */
  agreeing: boolean[];
  /** Merged fixations of the agreeing crops, in decoded-photo pixels (duplicates across crops kept: they add weight). */
  fixations: Point[];
  /** For each extra target (e.g. the true class), the merged fixations of every crop backtracked for it. */
  extra: Map<number, Point[]>;
}

export async function explainMultiCrop(explainer: Explainer, photo: RgbaImage, rule: Rule, extraTargets: number[] = []): Promise<MultiCropExplanation> {
  const { width, height } = explainer.model.input;
  const crops: { top: number; probabilities: Float64Array; fixations: Point[]; extra: Map<number, Point[]> }[] = [];
  const geometries = multiCropGeometries(photo.width, photo.height, width, height);
  // The five crops in one batched forward pass; each crop's backtracking reads its own activations.
  const states = await explainer.forwardCrops(photo, geometries);
  for (const [i, state] of states.entries()) {
    const geometry = geometries[i];
    const top = state.predictions[0].classIndex;
    const own = await explainer.backtrack(state, rule, top);
    const extra = new Map<number, Point[]>();
    for (const target of extraTargets) {
      const e = target === top ? own : await explainer.backtrack(state, rule, target);
      extra.set(target, fixationsInPhoto(e.fixations, geometry, {}));
    }
    crops.push({ top, probabilities: state.probabilities, fixations: fixationsInPhoto(own.fixations, geometry, {}), extra });
  }
  const classes = crops[0].probabilities.length;
  const mean = Float64Array.from({ length: classes }, (_, c) => crops.reduce((s, crop) => s + crop.probabilities[c], 0) / crops.length);
  const predictions = topPredictions(mean, explainer.model.labels, 5);
  const meanTop = predictions[0].classIndex;
  const chosen = crops.some((c) => c.top === meanTop) ? meanTop : crops[4].top;
  const agreeing = crops.map((c) => c.top === chosen);
  return {
    prediction: { classIndex: chosen, label: explainer.model.labels[chosen], probability: mean[chosen] },
    predictions,
    cropTopClasses: crops.map((c) => c.top),
    agreeing,
    fixations: crops.filter((_, i) => agreeing[i]).flatMap((c) => c.fixations),
    extra: new Map(extraTargets.map((t) => [t, crops.flatMap((c) => c.extra.get(t)!)])),
  };
}
