import { ModelFormatError } from '../../loaders/format-error.ts';
import { referencedFileName, referencedUrl } from '../../loaders/model-paths.ts';
import { loadTfjs, tfjsShardGroups } from '../../loaders/tfjs.ts';
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
    // The manifest's paths are checked (no folder outside the model's); shards are found among the dropped files only.
    for (const group of tfjsShardGroups(modelJson, json.name)) {
      const dropped = group.paths.map((path) => {
        const file = byName.get(referencedFileName(path));
        if (!file) throw new ModelFormatError(json.name, `lists weight shard "${path}", which was not dropped: drop model.json together with all its shards`);
        return file;
      });
      const total = dropped.reduce((sum, f) => sum + f.size, 0);
      if (total !== group.bytes) {
        throw new ModelFormatError(json.name, `shards ${group.paths.join(', ')} hold ${total} bytes but the manifest lists ${group.bytes}: ${total < group.bytes ? 'a shard is truncated' : 'wrong shard files'}`);
      }
      for (const [i, file] of dropped.entries()) {
        shards.set(group.paths[i], await readFileBytes(file, (loaded, total) => progress(file.name, loaded, total)));
      }
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
    for (const group of tfjsShardGroups(modelJson, name)) {
      let fetched = 0;
      for (const path of group.paths) {
        // Same folder, same origin; no shard may be longer than what is left of the group's bytes.
        const bytes = await fetchBytes(referencedUrl(url, path, name, 'weight shard'), (loaded, total) => progress(baseName(path), loaded, total), {
          maxBytes: group.bytes - fetched,
        });
        fetched += bytes.byteLength;
        shards.set(path, bytes);
      }
    }
    const labelList = labels ? parseLabels(new TextDecoder().decode(await fetchBytes(labels))) : undefined;
    return loadTfjs({ modelJson, shards, modelJsonName: name, labels: labelList });
  },
};
