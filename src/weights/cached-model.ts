/**
 * `--model vgg19`: a model name instead of a file, found in the weights cache. The converted model is loaded when
 * there is one (fast, and what `weights get` leaves), else the downloaded checkpoint with its source's preprocessing.
 */
import { existsSync } from 'node:fs';
import { loadConvertedFile } from '../loaders/converted-node.ts';
import type { Model } from '../graph/model.ts';
import { cachedModelState, convertedManifestPath, modelFolder, readWeightsManifest, weightsCacheDir } from './cache.ts';
import { loadManifestModel } from './load-source.ts';
import { findManifestModel } from './manifest.ts';

/** A model name that is not (yet) in the cache; the message says what to run. */
export class WeightsCacheError extends Error {
  override name = 'WeightsCacheError';
}

/** A bare name such as `vgg19` or `tiny-darknet`: no folder, no model-file extension. */
export function looksLikeModelName(text: string): boolean {
  return /^[a-z0-9][a-z0-9._-]*$/i.test(text) && !/\.(cfg|json|safetensors|h5|hdf5|weights)$/i.test(text);
}

export interface CachedModelOptions {
  /** Cache folder (`--dir`); default as in `weightsCacheDir`. */
  dir?: string;
  manifest?: string;
}

export async function loadCachedModel(name: string, options: CachedModelOptions = {}): Promise<Model> {
  const { dir } = weightsCacheDir({ dir: options.dir });
  const converted = convertedManifestPath(dir, name);
  if (existsSync(converted)) return loadConvertedFile(converted);
  const manifest = await readWeightsManifest(options.manifest);
  const entry = findManifestModel(manifest, name);
  if (!entry) {
    throw new WeightsCacheError(
      `"${name}" is neither a model file nor a model in ${manifest.file} (${manifest.models.map((m) => m.name).join(', ')}); ` +
        `give a file, or run "npx fixations weights list" to see what is in ${dir}`,
    );
  }
  const state = await cachedModelState(dir, entry);
  if (state.files.every((f) => f.state === 'complete')) return loadManifestModel(entry, modelFolder(dir, name));
  const partial = state.files.some((f) => f.state === 'partial') ? ' (a download was interrupted; get resumes it)' : '';
  throw new WeightsCacheError(`${name} is not downloaded yet (looked in ${modelFolder(dir, name)})${partial}: run "npx fixations weights get ${name}"`);
}
