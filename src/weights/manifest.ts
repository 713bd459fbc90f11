/**
 * The weights manifest (`weights/manifest.json`): where each public checkpoint comes from and how to read it. Sizes
 * and hashes are recorded only where they are known for certain; `null` skips that check.
 */
import { safetensorsArchitectures } from '../loaders/safetensors-model.ts';
import { caffePreprocess, darknetPreprocess, torchvisionPreprocess, type Preprocess } from '../model/preprocess.ts';
import type { TensorShape } from '../model/shapes.ts';

export const checkpointFormats = ['safetensors-torchvision', 'safetensors-timm', 'keras-h5', 'darknet'] as const;
export type CheckpointFormat = (typeof checkpointFormats)[number];

export const preprocessSources = ['torchvision', 'caffe', 'darknet'] as const;
export type PreprocessSource = (typeof preprocessSources)[number];

/** What a file is for: the file the loader opens, a darknet .weights beside its cfg, or the class names. */
export type FileRole = 'checkpoint' | 'darknet-weights' | 'labels';

export interface ManifestFile {
  /** File name in the model's cache folder. */
  name: string;
  role: FileRole;
  /** Tried in order; later ones are mirrors. */
  urls: string[];
  size: number | null;
  sha256: string | null;
  /** Some publishers (Keras) give only an MD5. */
  md5: string | null;
}

/** `imagenet`: the built-in 1000 classes in sorted-wnid order; `file`: the first `count` lines of a labels file. */
export type LabelsSource = { kind: 'imagenet' } | { kind: 'file'; file: string; count: number };

export interface ManifestModel {
  name: string;
  description: string;
  format: CheckpointFormat;
  /** vgg16/vgg19 for VGG checkpoints, checked against the file; null where the file says (darknet cfg). */
  arch: string | null;
  preprocess: PreprocessSource;
  labels: LabelsSource;
  files: ManifestFile[];
}

export interface WeightsManifest {
  file: string;
  models: ManifestModel[];
}

export class WeightsManifestError extends Error {
  override name = 'WeightsManifestError';
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

/** Each source's own preprocessing, at the model's input size. */
export function preprocessFor(source: PreprocessSource, input: TensorShape): Preprocess {
  if (source === 'darknet') return darknetPreprocess(input.width, input.height);
  const base = source === 'caffe' ? caffePreprocess : torchvisionPreprocess;
  return { ...base, width: input.width, height: input.height };
}

export function parseWeightsManifest(text: string, file: string): WeightsManifest {
  const fail = (problem: string): never => {
    throw new WeightsManifestError(file, problem);
  };
  let json: { version?: unknown; models?: unknown };
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`is not valid JSON (${(error as Error).message})`);
  }
  if (json?.version !== 1) fail(`has version ${JSON.stringify(json?.version)}; this build reads version 1`);
  if (typeof json.models !== 'object' || json.models === null) fail('has no "models" object');
  const hex = (value: unknown, length: number, where: string): string | null => {
    if (value === null || value === undefined) return null;
    if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${length}}$`).test(value)) fail(`${where} must be ${length} lowercase hex digits or null`);
    return value as string;
  };
  const models = Object.entries(json.models as Record<string, Record<string, unknown>>).map(([name, m]): ManifestModel => {
    const where = `models.${name}`;
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) fail(`${where}: model names are lowercase letters, digits, '.', '_' and '-'`);
    const format = m.format as CheckpointFormat;
    if (!checkpointFormats.includes(format)) fail(`${where}.format must be one of ${checkpointFormats.join(', ')}`);
    const arch = (m.arch ?? null) as string | null;
    if (arch !== null && !safetensorsArchitectures.includes(arch)) fail(`${where}.arch must be one of ${safetensorsArchitectures.join(', ')} or null`);
    if (arch === null && format !== 'darknet') fail(`${where}.arch is needed for ${format} checkpoints`);
    const preprocess = m.preprocess as PreprocessSource;
    if (!preprocessSources.includes(preprocess)) fail(`${where}.preprocess must be one of ${preprocessSources.join(', ')}`);
    if (!Array.isArray(m.files) || m.files.length === 0) fail(`${where}.files must list at least one file`);
    const files = (m.files as Record<string, unknown>[]).map((f, i): ManifestFile => {
      const at = `${where}.files[${i}]`;
      if (typeof f.name !== 'string' || !/^[\w.-]+$/.test(f.name) || /^\.+$/.test(f.name)) fail(`${at}.name must be a plain file name`);
      if (!['checkpoint', 'darknet-weights', 'labels'].includes(f.role as string)) fail(`${at}.role must be checkpoint, darknet-weights or labels`);
      if (!Array.isArray(f.urls) || f.urls.length === 0 || !f.urls.every((u) => typeof u === 'string' && /^https?:\/\//.test(u))) {
        fail(`${at}.urls must list http(s) URLs`);
      }
      const size = f.size ?? null;
      if (size !== null && !(Number.isInteger(size) && (size as number) > 0)) fail(`${at}.size must be a positive integer or null`);
      return {
        name: f.name as string,
        role: f.role as FileRole,
        urls: f.urls as string[],
        size: size as number | null,
        sha256: hex(f.sha256, 64, `${at}.sha256`),
        md5: hex(f.md5, 32, `${at}.md5`),
      };
    });
    if (files.filter((f) => f.role === 'checkpoint').length !== 1) fail(`${where}.files must have exactly one file with role "checkpoint"`);
    if (format === 'darknet' && files.filter((f) => f.role === 'darknet-weights').length !== 1) fail(`${where}: a darknet model needs one "darknet-weights" file`);
    const labelsJson = m.labels as Record<string, unknown> | undefined;
    let labels: LabelsSource;
    if (labelsJson?.kind === 'imagenet') labels = { kind: 'imagenet' };
    else if (labelsJson?.kind === 'file') {
      const labelFile = files.find((f) => f.name === labelsJson.file && f.role === 'labels');
      if (!labelFile) fail(`${where}.labels.file must name one of its files with role "labels"`);
      if (!Number.isInteger(labelsJson.count) || (labelsJson.count as number) < 1) fail(`${where}.labels.count must be a positive integer`);
      labels = { kind: 'file', file: labelsJson.file as string, count: labelsJson.count as number };
    } else return fail(`${where}.labels must be {"kind": "imagenet"} or {"kind": "file", "file": …, "count": …}`);
    return { name, description: typeof m.description === 'string' ? m.description : '', format, arch, preprocess, labels, files };
  });
  return { file, models };
}

export function findManifestModel(manifest: WeightsManifest, name: string): ManifestModel | undefined {
  return manifest.models.find((m) => m.name === name);
}
