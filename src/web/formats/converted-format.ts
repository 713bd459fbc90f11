import { convertedManifestSuffix } from '../../loaders/converted-format.ts';
import { fetchConvertedModel, loadDroppedConvertedModel } from '../../loaders/converted-browser.ts';
import { ModelFormatError } from '../../loaders/format-error.ts';
import type { Model } from '../../graph/model.ts';
import { type ModelFormat } from '../model-format.ts';

/** The project's own format (`npx fixations weights convert`): `<name>.fixations.json` and its .bin files. */
export const convertedFormat: ModelFormat = {
  id: 'converted',
  dropHint: `a converted model: *${convertedManifestSuffix} + its .bin files`,

  claims: (files) => files.some((f) => f.name.endsWith(convertedManifestSuffix)),

  fromFiles(files, progress): Promise<Model> {
    return loadDroppedConvertedModel(files, (loaded, total) => progress('weights', loaded, total));
  },

  fromUrls(source, progress): Promise<Model> {
    if (!source.files.manifest) throw new ModelFormatError(source.label, `a converted model needs the URL of its *${convertedManifestSuffix}`);
    return fetchConvertedModel(source.files.manifest, (loaded, total) => progress('weights', loaded, total));
  },
};
