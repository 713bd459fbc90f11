import { ModelWeightsError } from '../graph/model.ts';
import { ModelShapeError } from '../model/shapes.ts';

/** A model file that cannot be used, with the file named and what exactly is wrong with it. */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
  constructor(
    /** The file at fault, as named in the message (a file name or a path). */
    readonly file: string,
    problem: string,
  ) {
    // One line whatever a damaged file holds: names read from it may carry newlines or other control characters.
    super(`${file}: ${problem}`.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)));
  }
}

/**
 * Runs a loader so that the model checks' own errors (layers that do not chain, non-finite weights) also name the file
 * they came from: `weights` for a weight problem, `shapes` for a shape problem.
 */
export function namingFile<T>(files: { shapes: string; weights: string }, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ModelShapeError) throw new ModelFormatError(files.shapes, error.message);
    if (error instanceof ModelWeightsError) throw new ModelFormatError(files.weights, error.message);
    throw error;
  }
}

/** Reads little-endian float32s from any byte offset (Float32Array views need 4-byte alignment). */
export function readFloat32(bytes: Uint8Array, byteOffset: number, count: number): Float32Array {
  if ((bytes.byteOffset + byteOffset) % 4 === 0) {
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset + byteOffset, bytes.byteOffset + byteOffset + count * 4));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + byteOffset, count * 4);
  return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
}

/** Folds inference batch norm, y = (x − mean) / (√var + ε') · scale + shift, into the conv before it. */
export function foldBatchNorm(
  weight: Float32Array,
  bias: Float32Array,
  norm: { scale: Float32Array; shift: Float32Array; mean: Float32Array; variance: Float32Array },
  denominator: (variance: number) => number,
): void {
  const outChannels = bias.length;
  const perChannel = weight.length / outChannels;
  for (let o = 0; o < outChannels; o++) {
    const k = norm.scale[o] / denominator(norm.variance[o]);
    for (let i = 0; i < perChannel; i++) weight[o * perChannel + i] *= k;
    bias[o] = (bias[o] - norm.mean[o]) * k + norm.shift[o];
  }
}
