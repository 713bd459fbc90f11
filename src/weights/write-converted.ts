/**
 * Writes a converted model to a folder: each binary file through a temporary name, the manifest last, so a conversion
 * that dies half-way leaves nothing that looks loadable. Binary files of an earlier conversion under the same name are
 * removed.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { replaceFilesTogether } from '../files/atomic-write-node.ts';
import { basename, extname, join, resolve } from 'node:path';
import { convertedManifestSuffix } from '../loaders/converted-format.ts';
import { loadModelFile, type ModelFileOptions } from './load-model-node.ts';
import type { Model } from '../graph/model.ts';
import { encodeConvertedModel, type EncodeOptions } from './encode-converted.ts';

export interface WrittenModel {
  manifestPath: string;
  binFiles: string[];
  bytes: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A name the converted files cannot be called: it would put them outside the output folder, or hide them. */
export class OutputNameError extends Error {
  override name = 'OutputNameError';
}

/** A name that is one plain file name: no folder, no '..', not hidden, nothing a file system treats specially. */
export function isPlainFileName(name: string): boolean {
  return name.length > 0 && name.length <= 200 && !/[/\\:*?"<>|\u0000-\u001f\u007f]/.test(name) && !name.startsWith('.');
}

export async function writeConvertedModel(model: Model, folder: string, options: EncodeOptions = {}): Promise<WrittenModel> {
  const baseName = options.baseName ?? model.name;
  if (!isPlainFileName(baseName)) {
    throw new OutputNameError(`the converted files would be named after "${baseName}", which is not a plain file name; give --name <name> (letters, digits, '-', '_', '.')`);
  }
  const encoded = encodeConvertedModel(model, { ...options, baseName });
  await mkdir(folder, { recursive: true });
  const manifestPath = join(folder, `${baseName}${convertedManifestSuffix}`);
  // The binary files, one at a time, then the manifest; an earlier manifest is removed before the first new binary
  // file replaces an old one, so an interrupted conversion never leaves a manifest over binaries it does not describe.
  await replaceFilesTogether([
    ...encoded.files.map((file) => ({ path: join(folder, file.name), data: () => file.bytes() })),
    { path: manifestPath, data: encoded.json },
  ]);
  const binFiles = encoded.files.map((file) => join(folder, file.name));
  const ours = new RegExp(`^${escapeRegExp(baseName)}-\\d{5}-of-\\d{5}\\.bin$`);
  const written = new Set(encoded.files.map((f) => f.name));
  for (const name of await readdir(folder)) {
    if (ours.test(name) && !written.has(name)) await unlink(join(folder, name));
  }
  return { manifestPath, binFiles, bytes: encoded.files.reduce((s, f) => s + f.size, 0) };
}

export interface ConvertFileOptions extends ModelFileOptions {
  /** Output folder; default the checkpoint's own folder. */
  out?: string;
  /** Base name of the output files and the model's name; default the loaded model's name. */
  name?: string;
  maxFileBytes?: number;
}

/** Checkpoint formats by file extension, recorded in the converted manifest for people. */
function sourceFormat(path: string): string {
  const extension = extname(path).toLowerCase();
  return { '.cfg': 'darknet', '.json': 'tfjs', '.safetensors': 'safetensors', '.h5': 'keras-h5', '.hdf5': 'keras-h5', '.onnx': 'onnx' }[extension] ?? 'unknown';
}

/** `fixations weights convert`: any checkpoint `loadModelFile` reads, to the converted format. */
export async function convertModelFile(path: string, options: ConvertFileOptions = {}): Promise<{ model: Model; written: WrittenModel }> {
  if (options.name !== undefined && !isPlainFileName(options.name)) {
    throw new OutputNameError(`--name ${options.name} is not a plain file name: the converted files are named after it; give a name such as my-model`);
  }
  const loaded = await loadModelFile(path, options);
  if (options.name === undefined && !isPlainFileName(loaded.name)) {
    throw new OutputNameError(`${basename(path)} names its model "${loaded.name}", which is not a plain file name to write under; give --name <name>`);
  }
  const model = options.name ? { ...loaded, name: options.name } : loaded;
  const folder = resolve(options.out ?? join(path, '..'));
  const written = await writeConvertedModel(model, folder, {
    baseName: model.name,
    maxFileBytes: options.maxFileBytes,
    source: { file: basename(path), format: sourceFormat(path) },
  });
  return { model, written };
}
