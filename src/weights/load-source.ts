/**
 * Loads a manifest model from its downloaded files with that source's own preprocessing and labels: torchvision's
 * recipe for the torchvision-trained safetensors, BGR minus the Caffe means for Keras, darknet's letterbox for darknet.
 */
import { join } from 'node:path';
import { imagenetLabels } from '../labels/imagenet.ts';
import { loadDarknet } from '../loaders/darknet.ts';
import { ModelFormatError } from '../loaders/format-error.ts';
import { loadKerasH5 } from '../loaders/keras-h5.ts';
import { maxTextFileBytes, readModelFile } from '../loaders/read-file-node.ts';
import { loadSafetensorsModel } from '../loaders/safetensors-model.ts';
import { validateModel, type Model } from '../graph/model.ts';
import { preprocessFor, type ManifestModel } from './manifest.ts';

function readBytes(path: string, text = false): Promise<Uint8Array> {
  return readModelFile(path, text ? 'text file' : 'checkpoint', text ? { maxBytes: maxTextFileBytes } : {});
}

async function labelsOf(entry: ManifestModel, folder: string): Promise<string[]> {
  if (entry.labels.kind === 'imagenet') return [...imagenetLabels];
  const { file, count } = entry.labels;
  const lines = new TextDecoder()
    .decode(await readBytes(join(folder, file), true))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  // darknet's imagenet.shortnames.list names 21842 classes; its 1000-class models use the first 1000.
  if (lines.length < count) throw new ModelFormatError(join(folder, file), `has ${lines.length} class names; ${entry.name} needs ${count}`);
  return lines.slice(0, count);
}

export async function loadManifestModel(entry: ManifestModel, folder: string): Promise<Model> {
  const pathOf = (role: string) => join(folder, entry.files.find((f) => f.role === role)!.name);
  const checkpoint = pathOf('checkpoint');
  const fileName = entry.files.find((f) => f.role === 'checkpoint')!.name;
  const labels = await labelsOf(entry, folder);
  let model: Model;
  switch (entry.format) {
    case 'safetensors-torchvision':
    case 'safetensors-timm':
      model = loadSafetensorsModel({ bytes: await readBytes(checkpoint), fileName, arch: entry.arch ?? undefined, labels });
      break;
    case 'keras-h5':
      model = await loadKerasH5({ bytes: await readBytes(checkpoint), fileName, arch: entry.arch ?? undefined, labels });
      break;
    case 'darknet': {
      const weights = pathOf('darknet-weights');
      model = loadDarknet({
        cfg: new TextDecoder().decode(await readBytes(checkpoint, true)),
        weights: await readBytes(weights),
        labels,
        cfgName: fileName,
        weightsName: entry.files.find((f) => f.role === 'darknet-weights')!.name,
        name: entry.name,
      });
      break;
    }
  }
  model = { ...model, name: entry.name, preprocess: preprocessFor(entry.preprocess, model.input) };
  validateModel(model);
  return model;
}
