import { InvalidArgumentError } from 'commander';
import { NonFiniteOutputError } from '../explain/finite-outputs.ts';
import { GpuError } from '../gpu/errors.ts';
import { ImageInputError } from '../image/rgba-image.ts';
import { ModelFormatError } from '../loaders/format-error.ts';
import { ModelWeightsError } from '../graph/model.ts';
import { ModelShapeError } from '../model/shapes.ts';
import { WeightsCacheError } from '../weights/cached-model.ts';
import { ChecksumError, DownloadError } from '../weights/download.ts';
import { WeightsManifestError } from '../weights/manifest.ts';
import { OutputNameError } from '../weights/write-converted.ts';
import { UsageError } from './output-paths.ts';

const expected = [
  GpuError,
  ImageInputError,
  ModelFormatError,
  ModelWeightsError,
  ModelShapeError,
  RangeError,
  InvalidArgumentError,
  DownloadError,
  ChecksumError,
  WeightsCacheError,
  WeightsManifestError,
  NonFiniteOutputError,
  UsageError,
  OutputNameError,
];

/**
 * A failure of the machine rather than of this code (no space left, permission denied, a file removed under a run):
 * Node's system errors carry a `code` such as ENOSPC and the call that failed.
 */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  const e = error as NodeJS.ErrnoException | null;
  return e instanceof Error && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.syscall === 'string';
}

/** Whether `error` is one a person caused and can fix, reported as one line; anything else is a bug. */
export function isUserError(error: unknown): boolean {
  return expected.some((kind) => error instanceof kind) || isSystemError(error);
}

/** The one line a user error prints (its message, with any line breaks of a library's message folded). */
export function userErrorLine(error: unknown): string {
  return `error: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}`;
}

/** Prints an error for a person: expected failures as one clear line, anything else with its stack. Returns the exit code. */
export function reportError(error: unknown): number {
  if (isUserError(error)) {
    console.error(userErrorLine(error));
    return 1;
  }
  console.error(error);
  return 2;
}
