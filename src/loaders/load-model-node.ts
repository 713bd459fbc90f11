import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { BuiltinArchitecture } from '../architectures/vgg.ts';
import type { Model } from '../graph/model.ts';
import { loadCachedModel, looksLikeModelName } from '../weights/cached-model.ts';
import { isConvertedManifest } from './converted.ts';
import { loadConvertedFile } from './converted-node.ts';
import { loadDarknet } from './darknet.ts';
import { ModelFormatError } from './format-error.ts';
import { loadKerasH5 } from './keras-h5.ts';
import { loadOnnx } from './onnx.ts';
import type { PreprocessOptions } from '../model/preprocess-options.ts';
import { loadVggSafetensors } from './safetensors.ts';
import { loadTfjs, tfjsShardPaths } from './tfjs.ts';

export interface ModelFileOptions {
  /** Architecture for checkpoints that hold only tensors (safetensors). */
  arch?: BuiltinArchitecture;
  /** darknet: the .weights file; default the one beside the cfg. */
  weights?: string;
  /** A text file with one class name per line, in output order. */
  labels?: string;
  /** ONNX: the preprocessing, which the format does not store. */
  preprocess?: PreprocessOptions;
  /** Told which preprocessing defaults an ONNX model was given (default: printed to stderr). */
  onNote?: (line: string) => void;
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new ModelFormatError(path, `cannot read the ${what} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

async function readLabels(path: string): Promise<string[]> {
  const text = new TextDecoder().decode(await readBytes(path, 'labels'));
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

/** darknet keeps class names outside the cfg; look for them beside it. */
async function darknetLabels(cfgPath: string): Promise<string[] | undefined> {
  const dir = dirname(cfgPath);
  const base = basename(cfgPath, extname(cfgPath));
  for (const candidate of [`${base}.names`, 'names.txt', 'labels.txt']) {
    if (existsSync(join(dir, candidate))) return readLabels(join(dir, candidate));
  }
  return undefined;
}

async function darknetWeightsPath(cfgPath: string): Promise<string> {
  const dir = dirname(cfgPath);
  const same = join(dir, `${basename(cfgPath, extname(cfgPath))}.weights`);
  if (existsSync(same)) return same;
  const candidates = (await readdir(dir)).filter((f) => f.endsWith('.weights'));
  if (candidates.length === 1) return join(dir, candidates[0]);
  throw new ModelFormatError(cfgPath, `no ${basename(same)} beside it; pass the weights file with --weights`);
}

/**
 * Loads a model from a darknet .cfg, a tfjs model.json, a VGG .safetensors or Keras .h5 checkpoint, an ONNX model
 * (external data files beside it), a converted model (`*.fixations.json`), or by name (`vgg19`) from the weights cache.
 */
export async function loadModelFile(path: string, options: ModelFileOptions = {}): Promise<Model> {
  const full = resolve(path);
  if (!existsSync(full) && looksLikeModelName(path)) return loadCachedModel(path);
  const labels = options.labels ? await readLabels(options.labels) : undefined;
  const extension = extname(full).toLowerCase();
  if (extension === '.cfg') {
    const weightsPath = options.weights ?? (await darknetWeightsPath(full));
    return loadDarknet({
      cfg: new TextDecoder().decode(await readBytes(full, 'darknet cfg')),
      weights: await readBytes(weightsPath, 'darknet weights'),
      labels: labels ?? (await darknetLabels(full)),
      cfgName: basename(full),
      weightsName: basename(weightsPath),
      name: basename(full, '.cfg') === 'tiny' ? 'tiny-darknet' : basename(full, '.cfg'),
    });
  }
  if (extension === '.json') {
    const modelJson = new TextDecoder().decode(await readBytes(full, 'tfjs model.json'));
    if (isConvertedManifest(modelJson)) return loadConvertedFile(full, undefined, modelJson);
    const shards = new Map<string, Uint8Array>();
    for (const shard of tfjsShardPaths(modelJson, basename(full))) {
      shards.set(shard, await readBytes(join(dirname(full), shard), `weight shard ${shard}`));
    }
    return loadTfjs({ modelJson, shards, modelJsonName: basename(full), labels });
  }
  if (extension === '.safetensors') {
    return loadVggSafetensors({ bytes: await readBytes(full, 'checkpoint'), fileName: basename(full), arch: options.arch, labels });
  }
  if (extension === '.onnx') {
    const { model, note } = await loadOnnx({
      bytes: await readBytes(full, 'ONNX model'),
      fileName: basename(full),
      readExternal: (location) => readBytes(join(dirname(full), location), `external data of ${basename(full)}`),
      preprocess: options.preprocess,
      labels,
    });
    if (note) (options.onNote ?? ((line: string) => console.error(line)))(note);
    return model;
  }
  if (extension === '.h5' || extension === '.hdf5') {
    return loadKerasH5({ bytes: await readBytes(full, 'checkpoint'), fileName: basename(full), arch: options.arch, labels });
  }
  throw new ModelFormatError(
    full,
    'is not a model this tool reads: give a darknet .cfg, a tfjs model.json, an .onnx model, a VGG .safetensors or Keras .h5 file, a converted *.fixations.json, or a model name such as vgg19',
  );
}
