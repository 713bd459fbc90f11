import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KernelChoiceStore, TuningResult } from './autotune.ts';

/** `$FIXATIONS_CACHE_DIR`, else `$XDG_CACHE_HOME/webgpu-fixations`, else `~/.cache/webgpu-fixations`. */
export function cacheDirectory(): string {
  return process.env.FIXATIONS_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'webgpu-fixations');
}

/** Tuning results by adapter name in one JSON file; an unreadable file is treated as empty, never as an error. */
export function nodeKernelChoiceStore(file = join(cacheDirectory(), 'kernel-choices.json')): KernelChoiceStore & { file: string } {
  const read = (): Record<string, TuningResult> => {
    try {
      return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
    } catch {
      return {};
    }
  };
  return {
    file,
    load: (adapter) => read()[adapter] ?? null,
    save(result) {
      const all = read();
      all[result.adapter] = result;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
    },
  };
}
