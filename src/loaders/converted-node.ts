import { basename, dirname } from 'node:path';
import type { Model } from '../graph/model.ts';
import { loadConvertedModel, type ConvertedLoadOptions } from './converted.ts';
import { maxTextFileBytes, pathInFolder, readModelFile } from './read-file-node.ts';

/** A converted model from disk: the manifest, and its binary files beside it (each exactly the size it lists). */
export async function loadConvertedFile(path: string, onProgress?: ConvertedLoadOptions['onProgress'], manifestText?: string): Promise<Model> {
  const text = manifestText ?? new TextDecoder().decode(await readModelFile(path, 'converted model manifest', { maxBytes: maxTextFileBytes }));
  const dir = dirname(path);
  const manifest = basename(path);
  return loadConvertedModel(
    text,
    async (name, expectedBytes) => readModelFile(await pathInFolder(dir, name, manifest, 'binary file'), `binary file listed in ${manifest}`, { exactBytes: expectedBytes }),
    { fileName: manifest, onProgress },
  );
}
