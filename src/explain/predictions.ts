export interface Prediction {
  classIndex: number;
  label: string;
  probability: number;
}

/** Class probabilities from a model's last output: as is after a softmax, else softmax of the raw scores. */
export function probabilities(scores: Float32Array, endsInSoftmax: boolean): Float64Array {
  if (endsInSoftmax) return Float64Array.from(scores);
  const peak = Math.max(...scores);
  const exps = Float64Array.from(scores, (s) => Math.exp(s - peak));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** The k most probable classes, most probable first; equal probabilities keep the lower class index first. */
export function topPredictions(probs: ArrayLike<number>, labels: readonly string[], k: number): Prediction[] {
  const order = Array.from({ length: probs.length }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  return order.slice(0, k).map((classIndex) => ({ classIndex, label: labels[classIndex], probability: probs[classIndex] }));
}
