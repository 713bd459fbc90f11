/**
 * The two ways the browser demo gets a converted model, both through `loadConvertedModel` and so with the same checks:
 * fetched from a URL (the repository's `weights/<name>/<name>.fixations.json`), with byte-level progress; or dropped
 * as files (the manifest together with its .bin files). Web APIs only: `fetch`, `File`.
 */
import type { Model } from '../model/model.ts';
import { convertedManifestSuffix } from './converted-format.ts';
import { loadConvertedModel, parseConvertedManifest } from './converted.ts';
import { ModelFormatError } from './format-error.ts';

/** Bytes so far and in all, over the whole model (the manifest's own few kB not counted). */
export type ByteProgress = (loadedBytes: number, totalBytes: number) => void;

async function fetchBytes(url: string, onChunk: (bytes: number) => void): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
    onChunk(value.byteLength);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** Loads a converted model from its manifest's URL; the binary files are fetched from beside it. */
export async function fetchConvertedModel(manifestUrl: string, onProgress?: ByteProgress): Promise<Model> {
  const base = new URL(manifestUrl, globalThis.location?.href);
  const fileName = base.pathname.split('/').pop() || 'model.fixations.json';
  let text: string;
  try {
    text = new TextDecoder().decode(await fetchBytes(base.href, () => {}));
  } catch (error) {
    throw new ModelFormatError(fileName, `cannot be fetched (${(error as Error).message}); run "npx fixations weights get <name>" to create it`);
  }
  const { totalBytes } = parseConvertedManifest(text, fileName);
  let loaded = 0;
  return loadConvertedModel(
    text,
    (name) =>
      fetchBytes(new URL(name, base).href, (n) => {
        loaded += n;
        onProgress?.(loaded, totalBytes);
      }),
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
    async (name) => {
      const file = byName.get(name);
      if (!file) throw new ModelFormatError(name, `was not among the dropped files; drop ${manifest.name} together with all its .bin files`);
      const bytes = new Uint8Array(await file.arrayBuffer());
      loaded += bytes.byteLength;
      onProgress?.(loaded, totalBytes);
      return bytes;
    },
    { fileName: manifest.name },
  );
}
