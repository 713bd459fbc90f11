/**
 * The project's own model format, what `fixations weights convert` writes: a small JSON manifest (everything but the
 * numbers: the graph, input, preprocessing, labels, and where each tensor lies) plus binary files of at most
 * {@link maxBinFileBytes} each, so that a browser fetches them one by one with a progress bar and never holds a
 * 400 MB response. Tensors are little-endian float32 in the canonical layouts of `src/ops/layers.ts`; a tensor
 * larger than one file (VGG's fc6 is 411 MB) continues in the next, so it lists several parts.
 */
import type { ArchitectureNode } from '../graph/model.ts';
import type { Preprocess } from '../model/preprocess.ts';
import type { TensorShape } from '../model/shapes.ts';

export const convertedFormatId = 'webgpu-fixations-model';
/** 2: a graph (`nodes` with their inputs and output tensors, and `output`); 1, still read: a chain of `layers`. */
export const convertedFormatVersion = 2;
/** 64 MiB: large enough that VGG19 is 9 files, small enough for one fetch with progress in any browser. */
export const maxBinFileBytes = 64 * 1024 * 1024;
/** Name suffix of a converted manifest, so it is told apart from a tfjs `model.json` at a glance. */
export const convertedManifestSuffix = '.fixations.json';

export interface ConvertedTensorPart {
  file: string;
  /** Byte offset in `file`. */
  offset: number;
  byteLength: number;
}

export interface ConvertedTensor {
  /** `<layer>.weight` or `<layer>.bias`. */
  name: string;
  /** conv2d weight [out, in, k, k]; dense weight [out, in] (inputs in CHW order); bias [out]. */
  shape: number[];
  dtype: 'float32';
  byteLength: number;
  /** Where the tensor's bytes are, in order; one part unless it crosses a file boundary. */
  parts: ConvertedTensorPart[];
}

export interface ConvertedManifest {
  format: typeof convertedFormatId;
  version: typeof convertedFormatVersion;
  name: string;
  /** The checkpoint this was converted from, for people; the loader ignores it. */
  source?: { file: string; format: string };
  input: TensorShape;
  /**
   * How a photo becomes the input: the recipe of the source the weights were trained with. Its `resizeFilter` may be
   * missing (manifests written before it existed): the loader then takes the origin's filter (`originResizeFilter`).
   */
  preprocess: Preprocess;
  /** One per output class, in output order. */
  labels: string[];
  /** The graph, in topological order, without weights. */
  nodes: ArchitectureNode[];
  output: string;
  /** Every binary file with its exact size, in reading order. */
  files: { name: string; size: number }[];
  tensors: ConvertedTensor[];
}

/** File name of the n-th of `count` binary files of a converted model (1-based), Hugging Face style. */
export function binFileName(baseName: string, n: number, count: number): string {
  const pad = (k: number) => String(k).padStart(5, '0');
  return `${baseName}-${pad(n)}-of-${pad(count)}.bin`;
}
