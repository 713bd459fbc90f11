/**
 * Writes a converted model to a folder: each binary file through a temporary name, the manifest last, so a conversion
 * that dies half-way leaves nothing that looks loadable. Binary files of an earlier conversion under the same name are
 * removed.
 */
import { mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { convertedManifestSuffix } from '../loaders/converted-format.ts';
import { loadModelFile, type ModelFileOptions } from '../loaders/load-model-node.ts';
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

export async function writeConvertedModel(model: Model, folder: string, options: EncodeOptions = {}): Promise<WrittenModel> {
  const baseName = options.baseName ?? model.name;
  const encoded = encodeConvertedModel(model, { ...options, baseName });
  await mkdir(folder, { recursive: true });
  const binFiles: string[] = [];
  for (const file of encoded.files) {
    const path = join(folder, file.name);
    await writeFile(`${path}.tmp`, file.bytes());
    await rename(`${path}.tmp`, path);
    binFiles.push(path);
  }
  const manifestPath = join(folder, `${baseName}${convertedManifestSuffix}`);
  await writeFile(`${manifestPath}.tmp`, encoded.json);
  await rename(`${manifestPath}.tmp`, manifestPath);
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
  const loaded = await loadModelFile(path, options);
  const model = options.name ? { ...loaded, name: options.name } : loaded;
  const folder = resolve(options.out ?? join(path, '..'));
  const written = await writeConvertedModel(model, folder, {
    baseName: model.name,
    maxFileBytes: options.maxFileBytes,
    source: { file: basename(path), format: sourceFormat(path) },
  });
  return { model, written };
}
