import { ModelFormatError } from '../../loaders/format-error.ts';
import { loadOnnx, type OnnxInputInfo } from '../../loaders/onnx.ts';
import { fetchBytes, readFileBytes } from '../../loaders/read-bytes.ts';
import type { Model } from '../../graph/model.ts';
import type { PreprocessOptions } from '../../model/preprocess-options.ts';
import { baseName, extensionOf, isLabelsFile, parseLabels, type ModelFormat } from '../model-format.ts';

/** What the page asks when an ONNX model arrives (the file stores no preprocessing); null when the person cancels. */
export type OnnxPrompt = (input: OnnxInputInfo & { labelsFile: string | null }) => Promise<{ preprocess: PreprocessOptions; labels?: string[] } | null>;

/** Without a page to ask (tests, other hosts), the defaults; the demo sets its form with {@link setOnnxPrompt}. */
let prompt: OnnxPrompt = async () => ({ preprocess: {} });

export function setOnnxPrompt(ask: OnnxPrompt): void {
  prompt = ask;
}

export class LoadCancelled extends Error {
  override name = 'LoadCancelled';
}

function asker(labelsFile: string | null, labels: string[] | undefined) {
  return async (input: OnnxInputInfo) => {
    const answer = await prompt({ ...input, labelsFile });
    if (!answer) throw new LoadCancelled(`loading ${input.file} was cancelled`);
    return { preprocess: answer.preprocess, labels: answer.labels ?? labels };
  };
}

/**
 * ONNX models: the `.onnx` file with its external data files (by the names the model gives them) and a names list,
 * dropped together; the preprocessing comes from the page's form.
 */
export const onnxFormat: ModelFormat = {
  id: 'onnx',
  dropHint: 'an ONNX model (.onnx, + its .data files, + names.txt)',

  claims: (files) => files.some((f) => extensionOf(f.name) === 'onnx'),

  async fromFiles(files, progress): Promise<Model> {
    const models = files.filter((f) => extensionOf(f.name) === 'onnx');
    if (models.length !== 1) throw new ModelFormatError('dropped files', `hold ${models.length} .onnx files; drop one`);
    const [file] = models;
    const labelsFile = files.find((f) => isLabelsFile(f.name));
    const labels = labelsFile ? parseLabels(await labelsFile.text()) : undefined;
    const bytes = await readFileBytes(file, (loaded, total) => progress(file.name, loaded, total));
    const { model } = await loadOnnx({
      bytes,
      fileName: file.name,
      labels,
      ask: asker(labelsFile?.name ?? null, labels),
      readExternal: async (where) => {
        const data = files.find((f) => f.name === baseName(where));
        if (!data) throw new ModelFormatError(file.name, `keeps weights in "${where}": drop that file together with ${file.name}`);
        return readFileBytes(data, (loaded, total) => progress(data.name, loaded, total));
      },
    });
    return model;
  },

  async fromUrls(source, progress): Promise<Model> {
    const { model: url, labels: labelsUrl } = source.files;
    if (!url) throw new ModelFormatError(source.label, 'an ONNX model needs the URL of its .onnx file (files.model)');
    const fileName = baseName(new URL(url, location.href).pathname);
    const bytes = await fetchBytes(url, (loaded, total) => progress(fileName, loaded, total));
    const labels = labelsUrl ? parseLabels(new TextDecoder().decode(await fetchBytes(labelsUrl))) : undefined;
    const { model } = await loadOnnx({
      bytes,
      fileName,
      labels,
      ask: asker(labelsUrl ? baseName(labelsUrl) : null, labels),
      readExternal: (where) => {
        const dataUrl = new URL(where, new URL(url, location.href)).href;
        return fetchBytes(dataUrl, (loaded, total) => progress(baseName(where), loaded, total));
      },
    });
    return model;
  },
};
