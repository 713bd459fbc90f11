/**
 * Writes a model in the converted format (`src/loaders/converted-format.ts`). Tensors are laid end to end, weight then
 * bias per layer, and cut into files of at most `maxFileBytes`; each file's bytes are built only when asked for, so
 * converting VGG19 never holds a second copy of its 574 MB. No Node imports: a browser can convert too.
 */
import { jsonText } from '../explain/json-text.ts';
import { opOf } from '../ops/registry.ts';
import { validateModel, type ArchitectureNode, type Model } from '../graph/model.ts';
import {
  binFileName,
  convertedFormatId,
  convertedFormatVersion,
  maxBinFileBytes,
  type ConvertedManifest,
  type ConvertedTensor,
} from '../loaders/converted-format.ts';

export interface EncodeOptions {
  /** Stem of the binary files' names; default the model's name. */
  baseName?: string;
  /** Largest binary file; rounded down to whole float32s. Default {@link maxBinFileBytes}. */
  maxFileBytes?: number;
  source?: { file: string; format: string };
}

export interface EncodedBinFile {
  name: string;
  size: number;
  /** The file's bytes, built on each call. */
  bytes(): Uint8Array<ArrayBuffer>;
}

export interface EncodedModel {
  manifest: ConvertedManifest;
  /** The manifest as written: indented, number arrays on one line. */
  json: string;
  files: EncodedBinFile[];
}

export function encodeConvertedModel(model: Model, options: EncodeOptions = {}): EncodedModel {
  validateModel(model);
  const baseName = options.baseName ?? model.name;
  const maxBytes = Math.floor((options.maxFileBytes ?? maxBinFileBytes) / 4) * 4;
  if (maxBytes < 4) throw new RangeError(`maxFileBytes ${options.maxFileBytes} is smaller than one float32`);

  const sources: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (const node of model.nodes) {
    const weights = opOf(node).weights;
    if (!weights || !('weight' in node)) continue;
    const { weight, bias } = node;
    sources.push({ name: `${node.name}.weight`, shape: weights.shape(node), data: weight }, { name: `${node.name}.bias`, shape: [bias.length], data: bias });
  }
  const totalBytes = sources.reduce((s, t) => s + t.data.byteLength, 0);
  const fileCount = Math.max(1, Math.ceil(totalBytes / maxBytes));
  const names = Array.from({ length: fileCount }, (_, i) => binFileName(baseName, i + 1, fileCount));
  /** What each file holds: slices of tensor data, in order. */
  const contents: { data: Uint8Array; from: number; length: number }[][] = names.map(() => []);

  let offset = 0; // in the concatenation of all tensors
  const tensors: ConvertedTensor[] = sources.map(({ name, shape, data }) => {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const parts = [];
    for (let done = 0; done < bytes.byteLength; ) {
      const file = Math.floor(offset / maxBytes);
      const inFile = offset - file * maxBytes;
      const length = Math.min(bytes.byteLength - done, maxBytes - inFile);
      parts.push({ file: names[file], offset: inFile, byteLength: length });
      contents[file].push({ data: bytes, from: done, length });
      done += length;
      offset += length;
    }
    return { name, shape, dtype: 'float32', byteLength: bytes.byteLength, parts };
  });

  const files: EncodedBinFile[] = names.map((name, i) => ({
    name,
    size: i < fileCount - 1 ? maxBytes : totalBytes - maxBytes * (fileCount - 1),
    bytes() {
      const out = new Uint8Array(this.size);
      let at = 0;
      for (const { data, from, length } of contents[i]) {
        out.set(data.subarray(from, from + length), at);
        at += length;
      }
      return out;
    },
  }));
  const manifest: ConvertedManifest = {
    format: convertedFormatId,
    version: convertedFormatVersion,
    name: model.name,
    ...(options.source ? { source: options.source } : {}),
    input: model.input,
    preprocess: model.preprocess,
    labels: model.labels,
    // Specs only: the weights are in the binary files. Only ops with weights lose `weight` and `bias` (lrn's `bias` is a
    // spec field).
    nodes: model.nodes.map((node) => {
      if (!opOf(node).weights) return node as ArchitectureNode;
      const { weight: _weight, bias: _bias, ...spec } = node as typeof node & { weight?: unknown; bias?: unknown };
      return spec as ArchitectureNode;
    }),
    output: model.output,
    files: files.map((f) => ({ name: f.name, size: f.size })),
    tensors,
  };
  return { manifest, json: jsonText(manifest), files };
}
