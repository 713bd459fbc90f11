/**
 * How the page turns files into a model. Each format knows which dropped files are its own and how to load them, from
 * dropped `File`s or from URLs (the `weights/` folder, query parameters). Formats are registered in one list, so another
 * one (the converted format from `npx fixations weights convert`) plugs in with `registerModelFormat` and nothing else.
 */
import type { Model } from '../graph/model.ts';

/** Bytes of `file` read or downloaded so far, and in all when known. */
export type ModelProgress = (file: string, loaded: number, total: number | null) => void;

/** A model's files by URL: what `weights/models.json` lists and the query parameters describe. */
export interface ModelSource {
  /** Shown in the model list. */
  label: string;
  /** A registered format's id: darknet, tfjs, safetensors, … */
  format: string;
  /** URL of each of the format's files, by role (darknet: cfg, weights, names; tfjs: model, labels; …). */
  files: Record<string, string>;
  /** vgg16 or vgg19, for checkpoints that hold only tensors. */
  arch?: string;
}

export interface ModelFormat {
  id: string;
  /** What to drop, for the page's hint. */
  dropHint: string;
  /** Whether these dropped files are a model of this format. */
  claims(files: readonly File[]): boolean;
  fromFiles(files: readonly File[], progress: ModelProgress): Promise<Model>;
  fromUrls(source: ModelSource, progress: ModelProgress): Promise<Model>;
}

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** One class name per line, in output order (darknet's names lists, labels.txt). */
export function parseLabels(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** Files that hold class names, as the formats accept them beside the weights. */
export function isLabelsFile(name: string): boolean {
  return ['txt', 'names', 'list'].includes(extensionOf(name));
}
