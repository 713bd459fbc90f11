/**
 * Every file the tool writes goes to a temporary name beside it and is renamed into place, so a run that is killed
 * leaves each file either old and whole or new and whole, never cut short. Temporary names are hidden
 * (`.<name>.<pid>-<n>.tmp`), so a folder listing (explain over a folder) never takes one for an input.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let counter = 0;

export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${++counter}.tmp`);
}

type Data = string | Uint8Array;

export interface ReplacedFile {
  path: string;
  /** The bytes, or a function that makes them when the file's turn comes (big files are built one at a time). */
  data: Data | (() => Data | Promise<Data>);
}

/** Writes one file through a temporary name: `path` is only ever the old file or the whole new one. */
export function writeFileAtomic(path: string, data: ReplacedFile['data']): Promise<void> {
  return replaceFilesTogether([{ path, data }]);
}

/**
 * Replaces several files as one set whose last file marks it complete (a photo's JSON, a converted model's manifest):
 * all are written under temporary names first (if any write fails, nothing changed and the temporary files are gone);
 * then the old last file is removed, the others are renamed into place, and the last one is renamed last. After an
 * interruption the marker is present only when every file beside it is the new one.
 */
export async function replaceFilesTogether(files: ReplacedFile[]): Promise<void> {
  const staged: { path: string; temporary: string }[] = [];
  try {
    for (const file of files) {
      const temporary = temporaryPath(file.path);
      staged.push({ path: file.path, temporary });
      await writeFile(temporary, typeof file.data === 'function' ? await file.data() : file.data);
    }
    if (staged.length > 1) await rm(staged[staged.length - 1].path, { force: true });
    while (staged.length > 0) {
      await rename(staged[0].temporary, staged[0].path);
      staged.shift();
    }
  } finally {
    await Promise.all(staged.map((s) => rm(s.temporary, { force: true })));
  }
}
