/**
 * Saliency metrics against a binary ground-truth mask, as the salient-object literature computes them. Ratios with a
 * zero denominator (nothing predicted, nothing true) count as 0.
 */
export interface SaliencyScores {
  accuracy: number;
  precision: number;
  recall: number;
  /** F-measure with β² = 1. */
  f1: number;
  /** F-measure with β² = 0.3, the saliency literature's weighting towards precision. */
  fBeta: number;
  iou: number;
  /** Mean absolute error of the continuous map in [0, 1] against the mask. */
  mae: number;
}

export const saliencyBetaSquared = 0.3;

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

export function fMeasure(precision: number, recall: number, betaSquared: number): number {
  return ratio((1 + betaSquared) * precision * recall, betaSquared * precision + recall);
}

export function saliencyScores(predicted: ArrayLike<number>, truth: ArrayLike<number>, attention: ArrayLike<number>): SaliencyScores {
  if (predicted.length !== truth.length || attention.length !== truth.length) {
    throw new Error(`mask sizes differ: ${predicted.length} predicted, ${truth.length} true, ${attention.length} attention`);
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let absolute = 0;
  for (let i = 0; i < truth.length; i++) {
    const p = predicted[i] !== 0;
    const t = truth[i] !== 0;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
    absolute += Math.abs(attention[i] - (t ? 1 : 0));
  }
  const tn = truth.length - tp - fp - fn;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    accuracy: ratio(tp + tn, truth.length),
    precision,
    recall,
    f1: fMeasure(precision, recall, 1),
    fBeta: fMeasure(precision, recall, saliencyBetaSquared),
    iou: ratio(tp, tp + fp + fn),
    mae: absolute / truth.length,
  };
}

/** Precision and recall of `attention ≥ t` for each threshold. */
export function precisionRecallCurve(attention: ArrayLike<number>, truth: ArrayLike<number>, thresholds: readonly number[]): { precision: number[]; recall: number[] } {
  // One histogram pass instead of one pass per threshold.
  const bins = thresholds.length;
  const positives = new Float64Array(bins);
  const truePositives = new Float64Array(bins);
  let totalTrue = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] !== 0;
    if (t) totalTrue++;
    for (let b = 0; b < bins && attention[i] >= thresholds[b]; b++) {
      positives[b]++;
      if (t) truePositives[b]++;
    }
  }
  return {
    precision: Array.from(truePositives, (tp, b) => ratio(tp, positives[b])),
    recall: Array.from(truePositives, (tp) => ratio(tp, totalTrue)),
  };
}

/** Thresholds 0, 1/255, …, 1 — the 256 levels of an 8-bit map, as the literature sweeps them. */
export const sweepThresholds: readonly number[] = Array.from({ length: 256 }, (_, i) => i / 255);

/** Max-F over a sweep: F(β²) of the precision and recall averaged over images at each threshold, at its best. */
export function maxF(curves: { precision: number[]; recall: number[] }[], betaSquared = saliencyBetaSquared): { f: number; threshold: number } {
  let best = { f: 0, threshold: 0 };
  for (let b = 0; b < sweepThresholds.length; b++) {
    const p = curves.reduce((s, c) => s + c.precision[b], 0) / Math.max(1, curves.length);
    const r = curves.reduce((s, c) => s + c.recall[b], 0) / Math.max(1, curves.length);
    const f = fMeasure(p, r, betaSquared);
    if (f > best.f) best = { f, threshold: sweepThresholds[b] };
  }
  return best;
}
