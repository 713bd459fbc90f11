import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/** `../shared/data` beside the repository: real weights and photos, read-only, never copied in. */
export const sharedDataRoot = fileURLToPath(new URL('../../../shared/data/', import.meta.url));

export function sharedPath(relative: string): string {
  return `${sharedDataRoot}${relative}`;
}

/** A suite that needs shared data; where the data is absent it reports one skipped test saying so. */
export function describeWithSharedData(name: string, relative: string, body: (dir: string) => void): void {
  const dir = sharedPath(relative);
  if (existsSync(dir)) {
    describe(name, () => body(dir));
  } else {
    describe(name, () => {
      it.skip(`skipped: ${dir} is absent (real data lives in ../shared/data beside the repository)`, () => {});
    });
  }
}
