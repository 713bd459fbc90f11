import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Model } from '../graph/model.ts';
import { loadCachedModel, looksLikeModelName } from './cached-model.ts';
import { isConvertedManifest } from '../loaders/converted.ts';
import { loadConvertedFile } from '../loaders/converted-node.ts';
import { loadDarknet } from '../loaders/darknet.ts';
import { ModelFormatError } from '../loaders/format-error.ts';
import { loadKerasH5 } from '../loaders/keras-h5.ts';
import { loadSafetensorsModel } from '../loaders/safetensors-model.ts';
import { maxTextFileBytes, pathInFolder, readModelFile, regularFileSize, type ReadLimits } from '../loaders/read-file-node.ts';
import { loadTfjs, tfjsShardGroups } from '../loaders/tfjs.ts';
import { loadOnnx } from '../loaders/onnx.ts';
import type { PreprocessOptions } from '../model/preprocess-options.ts';

export interface ModelFileOptions {
  /** Architecture for checkpoints that hold only tensors (safetensors). */
  arch?: string;
  /** darknet: the .weights file; default the one beside the cfg. */
  weights?: string;
  /** A text file with one class name per line, in output order. */
  labels?: string;
  /** ONNX: the preprocessing, which the format does not store. */
  preprocess?: PreprocessOptions;
  /** Told which preprocessing defaults an ONNX model was given (default: printed to stderr). */
  onNote?: (line: string) => void;
}

function readBytes(path: string, what: string, limits?: ReadLimits): Promise<Uint8Array> {
  return readModelFile(path, what, limits);
}

async function readText(path: string, what: string): Promise<string> {
  return new TextDecoder().decode(await readModelFile(path, what, { maxBytes: maxTextFileBytes }));
}

/**
 * A tfjs model's shards, which must lie in its folder and hold together exactly what the manifest lists: sizes are
 * checked before a byte is read.
 */
async function readTfjsShards(modelJsonPath: string, modelJson: string): Promise<Map<string, Uint8Array>> {
  const file = basename(modelJsonPath);
  const folder = dirname(modelJsonPath);
  const shards = new Map<string, Uint8Array>();
  for (const group of tfjsShardGroups(modelJson, file)) {
    const paths = await Promise.all(group.paths.map((shard) => pathInFolder(folder, shard, file, 'weight shard')));
    const sizes = await Promise.all(paths.map((path, i) => regularFileSize(path, `weight shard ${group.paths[i]}`)));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== group.bytes) {
      throw new ModelFormatError(
        file,
        `shards ${group.paths.join(', ')} hold ${total} bytes but the manifest lists ${group.bytes}: ${total < group.bytes ? 'a shard is truncated' : 'wrong shard files'}`,
      );
    }
    for (let i = 0; i < paths.length; i++) {
      shards.set(group.paths[i], await readBytes(paths[i], `weight shard ${group.paths[i]}`, { exactBytes: sizes[i] }));
    }
  }
  return shards;
}

async function readLabels(path: string): Promise<string[]> {
  const text = await readText(path, 'labels');
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
      cfg: await readText(full, 'darknet cfg'),
      weights: await readBytes(weightsPath, 'darknet weights'),
      labels: labels ?? (await darknetLabels(full)),
      cfgName: basename(full),
      weightsName: basename(weightsPath),
      name: basename(full, '.cfg') === 'tiny' ? 'tiny-darknet' : basename(full, '.cfg'),
    });
  }
  if (extension === '.json') {
    const modelJson = await readText(full, 'tfjs model.json');
    if (isConvertedManifest(modelJson)) return loadConvertedFile(full, undefined, modelJson);
    return loadTfjs({ modelJson, shards: await readTfjsShards(full, modelJson), modelJsonName: basename(full), labels });
  }
  if (extension === '.safetensors') {
    return loadSafetensorsModel({ bytes: await readBytes(full, 'checkpoint'), fileName: basename(full), arch: options.arch, labels });
  }
  if (extension === '.onnx') {
    const { model, note } = await loadOnnx({
      bytes: await readBytes(full, 'ONNX model'),
      fileName: basename(full),
      // External data must lie in the model's own folder, as a tfjs shard must.
      readExternal: async (location) => readBytes(await pathInFolder(dirname(full), location, basename(full), 'external data file'), `external data of ${basename(full)}`),
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
