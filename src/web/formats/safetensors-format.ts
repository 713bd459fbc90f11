import { ModelFormatError } from '../../loaders/format-error.ts';
import { loadSafetensorsModel, safetensorsArchitectures } from '../../loaders/safetensors-model.ts';
import type { Model } from '../../graph/model.ts';
import { baseName, extensionOf, isLabelsFile, parseLabels, type ModelFormat } from '../model-format.ts';
import { fetchBytes, readFileBytes } from '../../loaders/read-bytes.ts';

function architecture(arch: string | undefined, file: string): string | undefined {
  if (arch === undefined || arch === '') return undefined;
  if (safetensorsArchitectures.includes(arch)) return arch;
  throw new ModelFormatError(file, `architecture "${arch}" is not one of ${safetensorsArchitectures.join(', ')}`);
}

/** safetensors checkpoints of the built-in architectures (torchvision or timm names): a VGG read off its tensors, or a ResNet, MobileNetV2, DenseNet-121, GoogLeNet or AlexNet recognised by its names. */
export const safetensorsFormat: ModelFormat = {
  id: 'safetensors',
  dropHint: 'VGG, ResNet, MobileNetV2, DenseNet, GoogLeNet or AlexNet .safetensors',

  claims: (files) => files.some((f) => extensionOf(f.name) === 'safetensors'),

  async fromFiles(files, progress): Promise<Model> {
    const checkpoints = files.filter((f) => extensionOf(f.name) === 'safetensors');
    if (checkpoints.length !== 1) throw new ModelFormatError('dropped files', `hold ${checkpoints.length} .safetensors files; drop one`);
    const file = checkpoints[0];
    const labels = files.find((f) => isLabelsFile(f.name));
    return loadSafetensorsModel({
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
    return loadSafetensorsModel({ bytes, fileName, arch, labels: labelList });
  },
};
