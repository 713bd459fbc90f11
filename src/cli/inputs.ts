import { InvalidArgumentError } from 'commander';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';

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
  // Each file once, however it was spelled (`a.jpg`, `./a.jpg`, and as part of its folder).
  const seen = new Set<string>();
  return files.filter((file) => !seen.has(resolve(file)) && seen.add(resolve(file)));
}

/** Every n-th file, so n machines given the same folder split it without talking to each other. */
export function takeShard<T>(items: readonly T[], shard: Shard | undefined): T[] {
  return shard ? items.filter((_, i) => i % shard.count === shard.index - 1) : [...items];
}

/** Files a batch run writes for itself in `--out`: its summaries. No photo's outputs may take one of these names. */
export function isRunFile(name: string): boolean {
  return /^summary(-\d+-of-\d+)?\.json$/.test(name);
}

/**
 * Output names, one per input, from which every output file is named (`<name>.json`, `<name>.fixations.png`, …). The
 * file name with its extension (`dog.jpeg` and `dog.png` are different photos), so a name stays the same whatever else
 * is in the folder and resume finds it again. Only when two inputs from different folders share a file name do the
 * later ones get a number (`dog-2.jpg`), one no other input is called; names whose JSON would be a run file
 * (`summary` → `summary.json`) are numbered too.
 */
export function outputNames(files: readonly string[]): string[] {
  const natural = files.map((file) => basename(file) || 'image');
  const count = new Map<string, number>();
  for (const name of natural) count.set(name, (count.get(name) ?? 0) + 1);
  const usable = (name: string) => !isRunFile(`${name}.json`);
  const taken = new Set(natural.filter((name) => count.get(name) === 1 && usable(name)));
  const everyNatural = new Set(natural);
  return natural.map((name) => {
    if (count.get(name) === 1 && usable(name)) return name;
    if (!taken.has(name) && usable(name)) {
      taken.add(name);
      return name;
    }
    const extension = extname(name);
    const stem = extension ? name.slice(0, -extension.length) : name;
    for (let k = 2; ; k++) {
      const candidate = `${stem}-${k}${extension}`;
      if (!taken.has(candidate) && !everyNatural.has(candidate) && usable(candidate)) {
        taken.add(candidate);
        return candidate;
      }
    }
  });
}
