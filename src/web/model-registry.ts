/**
 * The models the page offers at start: those listed in `weights/models.json` (written by hand, or generated from the
 * `weights/` folder by the dev server, see weights-listing-node.ts), and one described by query parameters.
 */
import type { ModelSource } from './model-format.ts';

export interface RegistryModel extends ModelSource {
  id: string;
  /** Total bytes of its files, when the listing knows. */
  bytes?: number;
}

export interface Registry {
  models: RegistryModel[];
  /** Photo URLs for the gallery. */
  gallery: string[];
}

/** What `weights/models.json` holds; relative URLs are relative to the file itself. */
export interface RegistryFile {
  models?: { id?: string; label?: string; format?: string; files?: Record<string, string>; arch?: string; bytes?: number }[];
  gallery?: string[];
}

export const registryPath = 'weights/models.json';

export class RegistryError extends Error {
  override name = 'RegistryError';
}

/** Reads the registry; a missing file is an empty registry (no weights/ folder is the normal first start). */
export async function fetchRegistry(url: string = registryPath): Promise<Registry> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch {
    return { models: [], gallery: [] };
  }
  if (response.status === 404 || !response.ok) return { models: [], gallery: [] };
  const text = await response.text();
  let json: RegistryFile;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Servers that answer every path with index.html (single-page hosting) are not a registry either.
    if (/^\s*</.test(text)) return { models: [], gallery: [] };
    throw new RegistryError(`${url} is not valid JSON (${(error as Error).message}); fix or delete it`);
  }
  return parseRegistry(json, new URL(url, location.href).href);
}

export function parseRegistry(json: RegistryFile, base: string): Registry {
  const resolve = (path: string) => new URL(path, base).href;
  const models = (json.models ?? []).flatMap((entry, i): RegistryModel[] => {
    if (!entry || typeof entry.format !== 'string' || typeof entry.files !== 'object' || entry.files === null) return [];
    const files = Object.fromEntries(Object.entries(entry.files).map(([role, path]) => [role, resolve(String(path))]));
    const id = entry.id ?? `model-${i + 1}`;
    return [{ id, label: entry.label ?? id, format: entry.format, files, arch: entry.arch, bytes: entry.bytes }];
  });
  const gallery = (json.gallery ?? []).filter((p) => typeof p === 'string').map(resolve);
  return { models, gallery };
}

/**
 * A model given by URL in the page's address:
 * - darknet: `?cfg=…/tiny.cfg&weights=…/tiny.weights&names=…/names.txt`
 * - TensorFlow.js: `?tfjs=…/model.json` (`&labels=…`)
 * - safetensors: `?safetensors=…/vgg19.safetensors&arch=vgg19` (`&labels=…`)
 * - any registered format: `?format=<id>&<role>=<url>…`
 */
export function sourceFromQuery(params: URLSearchParams): ModelSource | null {
  const pick = (...roles: string[]) =>
    Object.fromEntries(roles.flatMap((role) => (params.get(role) ? [[role, new URL(params.get(role)!, location.href).href]] : [])));
  const labelOf = (url: string) => decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() ?? url);
  if (params.get('cfg')) {
    return { label: labelOf(params.get('cfg')!), format: 'darknet', files: pick('cfg', 'weights', 'names') };
  }
  if (params.get('tfjs')) {
    const files = pick('labels');
    files.model = new URL(params.get('tfjs')!, location.href).href;
    return { label: labelOf(params.get('tfjs')!), format: 'tfjs', files };
  }
  if (params.get('safetensors')) {
    const files = pick('labels');
    files.checkpoint = new URL(params.get('safetensors')!, location.href).href;
    return { label: labelOf(params.get('safetensors')!), format: 'safetensors', files, arch: params.get('arch') ?? undefined };
  }
  const format = params.get('format');
  if (format) {
    const reserved = new Set(['format', 'arch', 'image', 'rule', 'class', 'gallery', 'model', 'view']);
    const files = Object.fromEntries([...params].filter(([k]) => !reserved.has(k)).map(([k, v]) => [k, new URL(v, location.href).href]));
    return { label: format, format, files, arch: params.get('arch') ?? undefined };
  }
  return null;
}
