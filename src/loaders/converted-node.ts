import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Model } from '../graph/model.ts';
import { loadConvertedModel, type ConvertedLoadOptions } from './converted.ts';
import { ModelFormatError } from './format-error.ts';

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new ModelFormatError(path, `cannot read the ${what} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** A converted model from disk: the manifest, and its binary files beside it. */
export async function loadConvertedFile(path: string, onProgress?: ConvertedLoadOptions['onProgress'], manifestText?: string): Promise<Model> {
  const text = manifestText ?? new TextDecoder().decode(await readBytes(path, 'converted model manifest'));
  const dir = dirname(path);
  return loadConvertedModel(text, (name) => readBytes(join(dir, name), `binary file listed in ${basename(path)}`), {
    fileName: basename(path),
    onProgress,
  });
}
