/**
 * The two ways the browser demo gets a converted model, both through `loadConvertedModel` and so with the same checks:
 * fetched from a URL (the repository's `weights/<name>/<name>.fixations.json`), with byte-level progress; or dropped
 * as files (the manifest together with its .bin files). Web APIs only: `fetch`, `File`.
 */
import type { Model } from '../graph/model.ts';
import { convertedManifestSuffix } from './converted-format.ts';
import { loadConvertedModel, parseConvertedManifest } from './converted.ts';
import { ModelFormatError } from './format-error.ts';
import { referencedUrl } from './model-paths.ts';
import { fetchBytes } from './read-bytes.ts';

/** Bytes so far and in all, over the whole model (the manifest's own few kB not counted). */
export type ByteProgress = (loadedBytes: number, totalBytes: number) => void;

/** Loads a converted model from its manifest's URL; the binary files are fetched from beside it. */
export async function fetchConvertedModel(manifestUrl: string, onProgress?: ByteProgress): Promise<Model> {
  const base = new URL(manifestUrl, globalThis.location?.href);
  const fileName = base.pathname.split('/').pop() || 'model.fixations.json';
  let text: string;
  try {
    text = new TextDecoder().decode(await fetchBytes(base.href));
  } catch (error) {
    throw new ModelFormatError(fileName, `cannot be fetched (${(error as Error).message}); run "npx fixations weights get <name>" to create it`);
  }
  const { totalBytes } = parseConvertedManifest(text, fileName);
  let before = 0;
  return loadConvertedModel(
    text,
    async (name, expectedBytes) => {
      const url = referencedUrl(base, name, fileName, 'binary file');
      const bytes = await fetchBytes(url, (loaded) => onProgress?.(before + loaded, totalBytes), { maxBytes: expectedBytes });
      before += bytes.byteLength;
      return bytes;
    },
    { fileName },
  );
}

/** Loads a converted model from dropped files: exactly one `*.fixations.json` and the .bin files it lists. */
export async function loadDroppedConvertedModel(files: ArrayLike<File>, onProgress?: ByteProgress): Promise<Model> {
  const list = Array.from(files);
  const manifests = list.filter((f) => f.name.endsWith(convertedManifestSuffix));
  if (manifests.length !== 1) {
    throw new ModelFormatError('dropped files', `hold ${manifests.length} *${convertedManifestSuffix} files; drop exactly one together with its .bin files`);
  }
  const manifest = manifests[0];
  const text = await manifest.text();
  const { totalBytes } = parseConvertedManifest(text, manifest.name);
  const byName = new Map(list.map((f) => [f.name, f]));
  let loaded = 0;
  return loadConvertedModel(
    text,
    async (name, expectedBytes) => {
      const file = byName.get(name);
      if (!file) throw new ModelFormatError(name, `was not among the dropped files; drop ${manifest.name} together with all its .bin files`);
      if (file.size !== expectedBytes) {
        throw new ModelFormatError(name, `is ${file.size} bytes but ${manifest.name} says ${expectedBytes}: ${file.size < expectedBytes ? 'truncated' : 'a different file'}; convert the model again`);
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      loaded += bytes.byteLength;
      onProgress?.(loaded, totalBytes);
      return bytes;
    },
    { fileName: manifest.name },
  );
}
