/**
 * ONNX Runtime (onnxruntime-web, its wasm execution provider, one thread) as an independent forward oracle for every
 * ONNX model the tests load: our GPU scores must match its outputs.
 */
import { expect } from 'vitest';
import type * as OrtModule from 'onnxruntime-web';

let runtime: Promise<typeof OrtModule> | null = null;

function ort(): Promise<typeof OrtModule> {
  runtime ??= import('onnxruntime-web').then((module) => {
    module.env.wasm.numThreads = 1;
    return module;
  });
  return runtime;
}

export interface OrtSession {
  run(input: Float32Array): Promise<Float32Array>;
  /** Frees the session's weights in the wasm heap (which never shrinks: a file of big models must release each). */
  release(): Promise<void>;
}

/** A session on the model's bytes (and its external data files by location); the graph's first input and output. */
export async function ortSession(bytes: Uint8Array, dims: number[], externalData: { path: string; data: Uint8Array }[] = []): Promise<OrtSession> {
  const o = await ort();
  const session = await o.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'disabled', externalData });
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  return {
    async run(input) {
      const outputs = await session.run({ [inputName]: new o.Tensor('float32', input, dims) });
      return Float32Array.from(outputs[outputName].data as Float32Array);
    },
    release: () => session.release(),
  };
}

/** Indices of the k largest scores, largest first (ties: the lower index). */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, k);
}

/** max |ours − theirs| over max |theirs|: the scores' relative error. */
export function maxRelativeError(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < theirs.length; i++) {
    scale = Math.max(scale, Math.abs(theirs[i]));
    worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
  }
  return worst / (scale || 1);
}

/** Our scores equal ONNX Runtime's: relative error ≤ 1e-4 and the same top-5, in order. */
export function expectScoresMatchOrt(ours: Float32Array, theirs: Float32Array, what: string): number {
  expect(ours.length, `${what}: score count`).toBe(theirs.length);
  const error = maxRelativeError(ours, theirs);
  expect(error, `${what}: max relative error against ONNX Runtime`).toBeLessThanOrEqual(1e-4);
  expect(topK(ours, 5), `${what}: top-5 against ONNX Runtime`).toEqual(topK(theirs, 5));
  return error;
}
