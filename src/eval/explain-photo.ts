import type { Rule } from '../ops/common/rules.ts';
import { fixationsInPhoto, type Explainer } from '../explain/explain.ts';
import type { Point } from '../postprocess/geometry.ts';
import type { Photo } from '../explain/explanation-maps.ts';
import { explainMultiCrop } from '../explain/multi-crop.ts';
import type { Prediction } from '../explain/predictions.ts';

export interface PhotoFixations {
  prediction: Prediction;
  /** Fixations of the predicted class, in decoded-photo pixels. */
  fixations: Point[];
  /** Fixations of each extra target (the true class), same pixels. */
  extra: Map<number, Point[]>;
}

/** One photo explained for its top-1 class (and extra targets), single view or the reference code's five crops. */
export async function explainPhoto(explainer: Explainer, photo: Photo, rule: Rule, multiCrop: boolean, extraTargets: number[] = []): Promise<PhotoFixations> {
  if (multiCrop) {
    const m = await explainMultiCrop(explainer, photo, rule, extraTargets);
    return { prediction: m.prediction, fixations: m.fixations, extra: m.extra };
  }
  const state = await explainer.forward(photo);
  const top = await explainer.backtrack(state, rule);
  const extra = new Map<number, Point[]>();
  for (const target of extraTargets) {
    const e = target === top.target.classIndex ? top : await explainer.backtrack(state, rule, target);
    extra.set(target, fixationsInPhoto(e.fixations, e.geometry, {}));
  }
  return { prediction: top.target, fixations: fixationsInPhoto(top.fixations, top.geometry, {}), extra };
}
