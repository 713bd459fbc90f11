import { ModelFormatError } from '../../loaders/format-error.ts';
import { loadVggSafetensors } from '../../loaders/safetensors.ts';
import { builtinArchitectures, type BuiltinArchitecture } from '../../architectures/vgg.ts';
import type { Model } from '../../graph/model.ts';
import { baseName, extensionOf, isLabelsFile, parseLabels, type ModelFormat } from '../model-format.ts';
import { fetchBytes, readFileBytes } from '../../loaders/read-bytes.ts';

function architecture(arch: string | undefined, file: string): BuiltinArchitecture | undefined {
  if (arch === undefined || arch === '') return undefined;
  if ((builtinArchitectures as readonly string[]).includes(arch)) return arch as BuiltinArchitecture;
  throw new ModelFormatError(file, `architecture "${arch}" is not one of ${builtinArchitectures.join(', ')}`);
}

/** VGG16/VGG19 checkpoints in safetensors (torchvision or timm names); the architecture is read off the tensors. */
export const safetensorsFormat: ModelFormat = {
  id: 'safetensors',
  dropHint: 'VGG16/19 .safetensors',

  claims: (files) => files.some((f) => extensionOf(f.name) === 'safetensors'),

  async fromFiles(files, progress): Promise<Model> {
    const checkpoints = files.filter((f) => extensionOf(f.name) === 'safetensors');
    if (checkpoints.length !== 1) throw new ModelFormatError('dropped files', `hold ${checkpoints.length} .safetensors files; drop one`);
    const file = checkpoints[0];
    const labels = files.find((f) => isLabelsFile(f.name));
    return loadVggSafetensors({
      bytes: await readFileBytes(file, (loaded, total) => progress(file.name, loaded, total)),
      fileName: file.name,
      labels: labels ? parseLabels(await labels.text()) : undefined,
    });
  },

  async fromUrls(source, progress): Promise<Model> {
    const { checkpoint, labels } = source.files;
    if (!checkpoint) throw new ModelFormatError(source.label, 'a safetensors model needs the URL of its checkpoint');
    const fileName = baseName(new URL(checkpoint, location.href).pathname);
    const arch = architecture(source.arch, fileName);
    const bytes = await fetchBytes(checkpoint, (loaded, total) => progress(fileName, loaded, total));
    const labelList = labels ? parseLabels(new TextDecoder().decode(await fetchBytes(labels))) : undefined;
    return loadVggSafetensors({ bytes, fileName, arch, labels: labelList });
  },
};
