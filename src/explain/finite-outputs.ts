/**
 * Scores that are NaN or ±Infinity mean the network overflowed float32 somewhere (weights of ±3e38, a preprocessing
 * that scales pixels to infinity): every probability would print as NaN% and every explanation would be empty. The
 * scores are checked after each forward pass; on failure the kept tensors are read back one at a time, in topological
 * order, through the model's public `readActivations`, until the first one that is not finite, and the error names it.
 */
import type { GpuModel } from '../forward/gpu-model.ts';

/** A forward pass whose output is not finite: the model file (or its preprocessing) cannot be used as it is. */
export class NonFiniteOutputError extends Error {
  override name = 'NonFiniteOutputError';
}

/** Index of the first NaN or ±Infinity, or −1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Resolves when every score is finite; otherwise rejects naming the first layer whose output is not. */
export async function checkFiniteScores(gpuModel: GpuModel, scores: ArrayLike<number>): Promise<void> {
  const bad = firstNonFinite(scores);
  if (bad < 0) return;
  const { model, graph } = gpuModel;
  // In topological order, the tensors still readable after the pass (the others' buffers were reused).
  const tensors = graph.tensors.filter((t) => gpuModel.isKept(t));
  const names = tensors.map((t, i) => (i === 0 ? 'the preprocessed input' : `layer ${t}`));
  for (let i = 0; i < tensors.length; i++) {
    const values = (await gpuModel.readActivations([tensors[i]])).get(tensors[i])!;
    const at = firstNonFinite(values);
    if (at < 0) continue;
    const why =
      i === 0
        ? 'the preprocessing (scale, mean, std) turns pixels into numbers float32 cannot hold'
        : `its weights, or the values reaching it, overflow float32`;
    throw new NonFiniteOutputError(
      `${model.name}: the scores are not finite (class ${bad} is ${scores[bad]}): ${names[i]} is the first whose output is (${values[at]} at index ${at}); ${why}, so the model file cannot be used as it is`,
    );
  }
  throw new NonFiniteOutputError(`${model.name}: the scores are not finite (class ${bad} is ${scores[bad]}); the model file cannot be used as it is`);
}
