/**
 * Reading model files from disk, the same way for every loader: only regular files (never a device such as /dev/zero,
 * a folder or a pipe), never more bytes than the caller expects (checked before reading), and files a manifest names
 * only inside the manifest's folder.
 */
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ModelFormatError } from './format-error.ts';
import { checkReferencedPath } from './model-paths.ts';

export interface ReadLimits {
  /** The file must be exactly this long (a manifest that lists sizes). */
  exactBytes?: number;
  /** The file must be at most this long. */
  maxBytes?: number;
}

/** JSON manifests, cfgs and label lists are small; anything bigger is not one. */
export const maxTextFileBytes = 64 * 1024 * 1024;

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** The size of a regular file, or an error naming it; nothing is read. */
export async function regularFileSize(path: string, what: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new ModelFormatError(path, `cannot read the ${what} (${code(error)})`);
  }
  if (!info.isFile()) {
    throw new ModelFormatError(path, `is not a regular file (${info.isDirectory() ? 'a folder' : 'a device, pipe or socket'}): give the ${what} itself`);
  }
  return info.size;
}

/** Reads a whole regular file whose size was checked against `limits` first; at most that many bytes are read. */
export async function readModelFile(path: string, what: string, limits: ReadLimits = {}): Promise<Uint8Array> {
  const size = await regularFileSize(path, what);
  if (limits.exactBytes !== undefined && size !== limits.exactBytes) {
    throw new ModelFormatError(path, `is ${size} bytes but should be ${limits.exactBytes}: ${size < limits.exactBytes ? 'truncated' : 'a different file'}`);
  }
  if (limits.maxBytes !== undefined && size > limits.maxBytes) {
    throw new ModelFormatError(path, `is ${size} bytes, more than the ${limits.maxBytes} a ${what} can be: not the right file`);
  }
  let handle;
  try {
    handle = await open(path, 'r');
    const bytes = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(bytes, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    if (at !== size) throw new ModelFormatError(path, `ended after ${at} of its ${size} bytes while being read`);
    return bytes;
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(path, `cannot read the ${what} (${code(error)})`);
  } finally {
    await handle?.close();
  }
}

function isInside(path: string, folder: string): boolean {
  const inside = relative(folder, path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
}

/**
 * The path of a file that a manifest in `folder` names, checked to stay inside `folder`: by its name, and, when it
 * exists, by where it really is (a link inside the folder to a file elsewhere, /dev/zero say, is refused). The folder
 * itself may be a link.
 */
export async function pathInFolder(folder: string, referenced: unknown, manifest: string, what: string): Promise<string> {
  const checked = checkReferencedPath(referenced, manifest, what);
  const path = join(folder, checked);
  if (!isInside(resolve(path), resolve(folder))) throw new ModelFormatError(manifest, `${what} ${JSON.stringify(checked)} lies outside ${folder}`);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return path; // missing: reading it says so
  }
  if (!isInside(real, await realpath(folder))) {
    throw new ModelFormatError(manifest, `${what} ${JSON.stringify(checked)} is a link to ${real}, outside the model's folder; files a manifest names must lie in its own folder`);
  }
  return path;
}
