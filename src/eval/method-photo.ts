/**
 * One photo's attention map, saliency mask and box by any method (src/explain/methods.ts), for the saliency and
 * localization evaluations. Fixations keep their own post-processing (makeMaps: outliers, blur, the box chosen by
 * `settings.boxFrom`, multi-crop if asked), so their rows are the ones these evaluations always gave. Every other
 * method's normalised photo map is thresholded the same way (`settings.threshold`, adaptive = twice the mean) and its
 * box is the largest region of that mask.
 */
import type { Explainer } from '../explain/explain.ts';
import type { Photo } from '../explain/explanation-maps.ts';
import { methodMap, methodName, seedOf, thresholdMap, type MethodSpec } from '../explain/methods.ts';
import type { Prediction } from '../explain/predictions.ts';
import type { AttentionMapper } from '../postprocess/attention-mapper.ts';
import { largestRegionBox, type Box } from '../postprocess/geometry.ts';
import { makeMaps } from '../postprocess/maps.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { explainPhoto } from './explain-photo.ts';

export interface MethodPhotoMaps {
  prediction: Prediction;
  /** Fixations (fixations and random) kept for the map; 0 for the others. */
  fixations: number;
  attention: Float32Array;
  saliency: Uint8Array;
  box: Box | null;
  /** The box of each extra target (the true class, for GT-known localization). */
  extraBoxes: Map<number, Box | null>;
}

export async function methodPhotoMaps(
  explainer: Explainer,
  mapper: AttentionMapper,
  photo: Photo,
  file: string,
  spec: MethodSpec,
  settings: MapSettings,
  multiCrop: boolean,
  extraTargets: number[] = [],
): Promise<MethodPhotoMaps> {
  if (spec.kind === 'fixations') {
    const explained = await explainPhoto(explainer, photo, spec.rule, multiCrop, extraTargets);
    const maps = await makeMaps(mapper, explained.fixations, photo.width, photo.height, settings);
    const extraBoxes = new Map<number, Box | null>();
    for (const target of extraTargets) extraBoxes.set(target, (await makeMaps(mapper, explained.extra.get(target)!, photo.width, photo.height, settings)).box);
    return { prediction: explained.prediction, fixations: maps.kept.length, attention: maps.attention, saliency: maps.saliency, box: maps.box, extraBoxes };
  }
  if (multiCrop) throw new Error(`--multi-crop applies to fixations only, not ${methodName(spec)}`);
  const state = await explainer.forward(photo);
  const seed = seedOf(file);
  const of = async (target: number) => {
    const map = await methodMap(spec, { explainer, mapper, settings, state, photo, target, seed });
    const saliency = thresholdMap(map.photo, settings.threshold);
    return { map, saliency, box: largestRegionBox(saliency, photo.width, photo.height) };
  };
  const top = await of(state.predictions[0].classIndex);
  const extraBoxes = new Map<number, Box | null>();
  for (const target of extraTargets) extraBoxes.set(target, target === state.predictions[0].classIndex ? top.box : (await of(target)).box);
  return { prediction: state.predictions[0], fixations: top.map.points?.kept.length ?? 0, attention: top.map.photo, saliency: top.saliency, box: top.box, extraBoxes };
}
