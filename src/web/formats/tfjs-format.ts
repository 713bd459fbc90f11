import { ModelFormatError } from '../../loaders/format-error.ts';
import { loadTfjs, tfjsShardPaths } from '../../loaders/tfjs.ts';
import type { Model } from '../../graph/model.ts';
import { baseName, extensionOf, isLabelsFile, parseLabels, type ModelFormat } from '../model-format.ts';
import { fetchBytes, readFileBytes } from '../../loaders/read-bytes.ts';

/** The converted format's manifests are JSON too; they belong to their own format. */
const isTfjsJson = (name: string) => extensionOf(name) === 'json' && !name.endsWith('.fixations.json');

/** TensorFlow.js layers models: `model.json` and the binary shards its manifest lists. */
export const tfjsFormat: ModelFormat = {
  id: 'tfjs',
  dropHint: 'TensorFlow.js model.json + its .bin shards',

  claims: (files) => files.some((f) => isTfjsJson(f.name)),

  async fromFiles(files, progress): Promise<Model> {
    const jsons = files.filter((f) => isTfjsJson(f.name));
    if (jsons.length !== 1) throw new ModelFormatError('dropped files', `hold ${jsons.length} .json files; drop one model.json with its shards`);
    const json = jsons[0];
    const modelJson = await json.text();
    const byName = new Map(files.map((f) => [f.name, f]));
    const shards = new Map<string, Uint8Array>();
    for (const path of tfjsShardPaths(modelJson, json.name)) {
      const file = byName.get(baseName(path));
      if (!file) throw new ModelFormatError(json.name, `lists weight shard "${path}", which was not dropped: drop model.json together with all its shards`);
      shards.set(path, await readFileBytes(file, (loaded, total) => progress(file.name, loaded, total)));
    }
    const labels = files.find((f) => isLabelsFile(f.name));
    return loadTfjs({ modelJson, shards, modelJsonName: json.name, labels: labels ? parseLabels(await labels.text()) : undefined });
  },

  async fromUrls(source, progress): Promise<Model> {
    const { model, labels } = source.files;
    if (!model) throw new ModelFormatError(source.label, 'a TensorFlow.js model needs the URL of its model.json');
    const url = new URL(model, location.href);
    const name = baseName(url.pathname);
    const modelJson = new TextDecoder().decode(await fetchBytes(url.href));
    const shards = new Map<string, Uint8Array>();
    for (const path of tfjsShardPaths(modelJson, name)) {
      shards.set(path, await fetchBytes(new URL(path, url).href, (loaded, total) => progress(baseName(path), loaded, total)));
    }
    const labelList = labels ? parseLabels(new TextDecoder().decode(await fetchBytes(labels))) : undefined;
    return loadTfjs({ modelJson, shards, modelJsonName: name, labels: labelList });
  },
};
