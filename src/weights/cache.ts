/**
 * Where downloaded and converted weights live. One folder per model (`<cache>/vgg19/`) holding the downloaded files
 * under their manifest names, `<file>.part` while a download is under way, and the converted model
 * (`vgg19.fixations.json` + `vgg19-0000N-of-0000M.bin`).
 *
 * The cache folder is, first to last: `--dir`; `$FIXATIONS_WEIGHTS_DIR`; `weights/` in this repository when the
 * command runs from inside it (so the browser demo served from the repository finds the models); else the user's cache
 * folder (`$XDG_CACHE_HOME/webgpu-fixations` or `~/.cache/webgpu-fixations`, `~/Library/Caches/webgpu-fixations` on
 * macOS, `%LOCALAPPDATA%\webgpu-fixations\Cache` on Windows).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertedManifestSuffix } from '../loaders/converted-format.ts';
import { parseWeightsManifest, WeightsManifestError, type ManifestModel, type WeightsManifest } from './manifest.ts';

/** The repository (or installed package) this code runs from. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
export const defaultManifestPath = join(packageRoot, 'weights', 'manifest.json');

export interface CacheLocationOptions {
  /** `--dir`. */
  dir?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

export type CacheDirReason = '--dir' | 'FIXATIONS_WEIGHTS_DIR' | 'repository' | 'user cache';

export function userCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'webgpu-fixations', 'Cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'webgpu-fixations');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'webgpu-fixations');
}

function isInside(child: string, parent: string): boolean {
  const path = relative(parent, child);
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

export function weightsCacheDir(options: CacheLocationOptions = {}): { dir: string; reason: CacheDirReason } {
  const env = options.env ?? process.env;
  if (options.dir) return { dir: resolve(options.dir), reason: '--dir' };
  if (env.FIXATIONS_WEIGHTS_DIR) return { dir: resolve(env.FIXATIONS_WEIGHTS_DIR), reason: 'FIXATIONS_WEIGHTS_DIR' };
  const cwd = resolve(options.cwd ?? process.cwd());
  // Only a checkout counts (it has .git): an installed copy under node_modules writes to the user's cache instead.
  if (existsSync(join(packageRoot, '.git')) && isInside(cwd, packageRoot)) return { dir: join(packageRoot, 'weights'), reason: 'repository' };
  return { dir: userCacheDir(env, options.platform, options.home), reason: 'user cache' };
}

/** `path`, else `$FIXATIONS_WEIGHTS_MANIFEST`, else the manifest shipped in `weights/manifest.json`. */
export async function readWeightsManifest(path?: string, env: NodeJS.ProcessEnv = process.env): Promise<WeightsManifest> {
  const file = resolve(path ?? env.FIXATIONS_WEIGHTS_MANIFEST ?? defaultManifestPath);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new WeightsManifestError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseWeightsManifest(text, file);
}

export function modelFolder(cacheDir: string, name: string): string {
  return join(cacheDir, name);
}

export function convertedManifestPath(cacheDir: string, name: string): string {
  return join(cacheDir, name, `${name}${convertedManifestSuffix}`);
}

export interface CachedFileState {
  name: string;
  path: string;
  state: 'complete' | 'partial' | 'missing';
  /** Bytes on disk (of the `.part` file while partial). */
  bytes: number;
  expectedSize: number | null;
  /** `weights get` moved a copy that did not load aside, to `<file>.bad`. */
  setAside: boolean;
}

export interface CachedModelState {
  name: string;
  /** Null for a converted model found in the cache that the manifest does not list. */
  entry: ManifestModel | null;
  files: CachedFileState[];
  /** The converted manifest and the total size of its binary files, when converted. */
  converted: { path: string; bytes: number } | null;
}

async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

async function convertedState(cacheDir: string, name: string): Promise<CachedModelState['converted']> {
  const path = convertedManifestPath(cacheDir, name);
  if ((await fileSize(path)) === null) return null;
  let bytes = 0;
  try {
    const manifest = JSON.parse(await readFile(path, 'utf8')) as { files?: { size?: number }[] };
    for (const f of manifest.files ?? []) bytes += f.size ?? 0;
  } catch {
    // listed as converted all the same; loading it will say what is wrong
  }
  return { path, bytes };
}

export async function cachedModelState(cacheDir: string, entry: ManifestModel): Promise<CachedModelState> {
  const folder = modelFolder(cacheDir, entry.name);
  const files = await Promise.all(
    entry.files.map(async (f): Promise<CachedFileState> => {
      const path = join(folder, f.name);
      const setAside = (await fileSize(`${path}.bad`)) !== null;
      const complete = await fileSize(path);
      if (complete !== null) return { name: f.name, path, state: 'complete', bytes: complete, expectedSize: f.size, setAside };
      const partial = await fileSize(`${path}.part`);
      return { name: f.name, path, state: partial === null ? 'missing' : 'partial', bytes: partial ?? 0, expectedSize: f.size, setAside };
    }),
  );
  return { name: entry.name, entry, files, converted: await convertedState(cacheDir, entry.name) };
}

/** Every manifest model, plus converted models in the cache folder that the manifest does not list. */
export async function cacheContents(cacheDir: string, manifest: WeightsManifest): Promise<CachedModelState[]> {
  const states = await Promise.all(manifest.models.map((m) => cachedModelState(cacheDir, m)));
  const known = new Set(manifest.models.map((m) => m.name));
  const folders = existsSync(cacheDir) ? await readdir(cacheDir, { withFileTypes: true }) : [];
  for (const folder of folders.filter((d) => d.isDirectory() && !known.has(d.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    const converted = await convertedState(cacheDir, folder.name);
    if (converted) states.push({ name: folder.name, entry: null, files: [], converted });
  }
  return states;
}
