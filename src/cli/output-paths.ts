/**
 * Where a command will write, checked before it does any work: a `--json` file whose folder is missing, or that is a
 * folder, or an `--out` folder that is a file, is reported at once in one line, not after minutes of GPU work.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** A command line that asks for something impossible; reported as one line with exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

/** `path` can be written as a file: not a folder, in a folder that exists and may be written. */
export async function checkOutputFile(path: string, option: string): Promise<void> {
  const info = await statOrNull(path);
  if (info?.isDirectory()) throw new UsageError(`${option} ${path} is a folder; give a file name, such as ${resolve(path, 'result.json')}`);
  const folder = dirname(resolve(path));
  const parent = await statOrNull(folder);
  if (!parent) throw new UsageError(`${option} ${path}: the folder ${folder} does not exist; create it first or choose another path`);
  if (!parent.isDirectory()) throw new UsageError(`${option} ${path}: ${folder} is a file, not a folder`);
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw new UsageError(`${option} ${path}: the folder ${folder} may not be written to`);
  }
}

/** Creates `dir` (and its parents) unless it exists; a file in the way is reported by name. */
export async function prepareOutputFolder(dir: string, option: string): Promise<void> {
  const info = await statOrNull(dir);
  if (info && !info.isDirectory()) throw new UsageError(`${option} ${dir} is a file, not a folder; give a folder (it is created if missing)`);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a part of that path is a file' : code === 'EACCES' || code === 'EPERM' ? 'it may not be written to' : (code ?? (error as Error).message);
    throw new UsageError(`${option} ${dir} cannot be used as an output folder: ${why}`);
  }
}
