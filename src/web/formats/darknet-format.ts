import { loadDarknet } from '../../loaders/darknet.ts';
import { ModelFormatError } from '../../loaders/format-error.ts';
import type { Model } from '../../graph/model.ts';
import { baseName, extensionOf, isLabelsFile, parseLabels, type ModelFormat, type ModelProgress, type ModelSource } from '../model-format.ts';
import { fetchBytes, readFileBytes } from '../../loaders/read-bytes.ts';

/** darknet's own name for the cfg, as the CLI names it (`tiny.cfg` → Tiny Darknet). */
function modelName(cfgName: string): string {
  const base = cfgName.replace(/\.cfg$/i, '');
  return base === 'tiny' ? 'tiny-darknet' : base;
}

/** darknet `.cfg` + `.weights`, with class names from a names list dropped or linked beside them. */
export const darknetFormat: ModelFormat = {
  id: 'darknet',
  dropHint: 'darknet .cfg + .weights (+ names.txt)',

  claims: (files) => files.some((f) => extensionOf(f.name) === 'cfg'),

  async fromFiles(files, progress): Promise<Model> {
    const cfgs = files.filter((f) => extensionOf(f.name) === 'cfg');
    if (cfgs.length !== 1) throw new ModelFormatError('dropped files', `hold ${cfgs.length} .cfg files; drop one cfg with its .weights`);
    const cfg = cfgs[0];
    const weightsFiles = files.filter((f) => extensionOf(f.name) === 'weights');
    const sameName = weightsFiles.find((f) => f.name.replace(/\.weights$/i, '') === cfg.name.replace(/\.cfg$/i, ''));
    const weights = sameName ?? (weightsFiles.length === 1 ? weightsFiles[0] : undefined);
    if (!weights) {
      throw new ModelFormatError(
        cfg.name,
        weightsFiles.length === 0 ? 'needs its .weights file: drop both together' : `${weightsFiles.length} .weights files were dropped; drop only the one for this cfg`,
      );
    }
    const labelsFile = files.find((f) => isLabelsFile(f.name));
    return loadDarknet({
      cfg: await cfg.text(),
      weights: await readFileBytes(weights, (loaded, total) => progress(weights.name, loaded, total)),
      labels: labelsFile ? parseLabels(await labelsFile.text()) : undefined,
      cfgName: cfg.name,
      weightsName: weights.name,
      name: modelName(cfg.name),
    });
  },

  async fromUrls(source: ModelSource, progress: ModelProgress): Promise<Model> {
    const { cfg, weights, names } = source.files;
    if (!cfg || !weights) throw new ModelFormatError(source.label, 'a darknet model needs both a cfg and a weights URL');
    const cfgName = baseName(new URL(cfg, location.href).pathname);
    const weightsName = baseName(new URL(weights, location.href).pathname);
    const [cfgText, labels] = await Promise.all([
      fetchBytes(cfg).then((b) => new TextDecoder().decode(b)),
      names ? fetchBytes(names).then((b) => parseLabels(new TextDecoder().decode(b))) : undefined,
    ]);
    return loadDarknet({
      cfg: cfgText,
      weights: await fetchBytes(weights, (loaded, total) => progress(weightsName, loaded, total)),
      labels,
      cfgName,
      weightsName,
      name: modelName(cfgName),
    });
  },
};
