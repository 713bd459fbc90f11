import { ModelFormatError } from '../loaders/format-error.ts';
import { convertedFormat } from './formats/converted-format.ts';
import { darknetFormat } from './formats/darknet-format.ts';
import { onnxFormat } from './formats/onnx-format.ts';
import { safetensorsFormat } from './formats/safetensors-format.ts';
import { tfjsFormat } from './formats/tfjs-format.ts';
import { extensionOf, isLabelsFile, type ModelFormat } from './model-format.ts';

/** The formats the page reads, first match wins. */
const formats: ModelFormat[] = [convertedFormat, darknetFormat, tfjsFormat, safetensorsFormat, onnxFormat];

/** Adds a format ahead of the built-in ones (so it can claim files they would also claim). */
export function registerModelFormat(format: ModelFormat): void {
  const existing = formats.findIndex((f) => f.id === format.id);
  if (existing >= 0) formats.splice(existing, 1);
  formats.unshift(format);
}

export function modelFormat(id: string): ModelFormat {
  const format = formats.find((f) => f.id === id);
  if (!format) throw new ModelFormatError(id, `is not a model format this page reads (it reads ${formats.map((f) => f.id).join(', ')})`);
  return format;
}

export function modelFormatForFiles(files: readonly File[]): ModelFormat | null {
  return formats.find((f) => f.claims(files)) ?? null;
}

export function dropHints(): string[] {
  return formats.map((f) => f.dropHint);
}

const imageExtensions = new Set(['jpg', 'jpeg', 'png', 'webp', 'gif', 'avif', 'bmp']);
const modelExtensions = new Set(['cfg', 'weights', 'json', 'bin', 'safetensors', 'onnx', 'data']);

/** Dropped files sorted into a photo, model files, and what is neither (named in the error the page shows). */
export function sortDroppedFiles(files: readonly File[]): { images: File[]; modelFiles: File[]; unknown: File[] } {
  const images: File[] = [];
  const modelFiles: File[] = [];
  const unknown: File[] = [];
  for (const file of files) {
    const extension = extensionOf(file.name);
    if (file.type.startsWith('image/') || imageExtensions.has(extension)) images.push(file);
    else if (modelExtensions.has(extension) || isLabelsFile(file.name)) modelFiles.push(file);
    else unknown.push(file);
  }
  return { images, modelFiles, unknown };
}
