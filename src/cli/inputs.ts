import { InvalidArgumentError } from 'commander';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

export interface Shard {
  index: number;
  count: number;
}

/** `i/n` with 1 ≤ i ≤ n, as test runners spell it. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new InvalidArgumentError(`--shard ${text}: expected i/n with 1 ≤ i ≤ n, such as 1/4`);
  }
  return { index, count };
}

/**
 * Files named on the command line, and the files (not hidden, not recursive) of folders named there, sorted, each
 * once. Folders are listed whole, whatever the extension: a file that is not an image is reported, not skipped.
 */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => null);
    if (info?.isDirectory()) {
      const names = (await readdir(input)).filter((n) => !n.startsWith('.')).sort();
      for (const name of names) {
        if ((await stat(join(input, name))).isFile()) files.push(join(input, name));
      }
    } else {
      files.push(input);
    }
  }
  return [...new Set(files)];
}

/** Every n-th file, so n machines given the same folder split it without talking to each other. */
export function takeShard<T>(items: readonly T[], shard: Shard | undefined): T[] {
  return shard ? items.filter((_, i) => i % shard.count === shard.index - 1) : [...items];
}

/** Output names: the file name without extension, made unique in input order (`dog`, `dog-2`). */
export function outputNames(files: readonly string[]): string[] {
  const used = new Map<string, number>();
  return files.map((file) => {
    const base = basename(file, extname(file)) || 'image';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}
