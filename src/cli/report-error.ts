import { InvalidArgumentError } from 'commander';
import { NonFiniteOutputError } from '../finite-outputs.ts';
import { GpuError } from '../gpu/errors.ts';
import { ImageInputError } from '../image/rgba-image.ts';
import { ModelFormatError } from '../loaders/format-error.ts';
import { ModelWeightsError } from '../model/model.ts';
import { ModelShapeError } from '../model/shapes.ts';
import { WeightsCacheError } from '../weights/cached-model.ts';
import { ChecksumError, DownloadError } from '../weights/download.ts';
import { WeightsManifestError } from '../weights/manifest.ts';

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
];

/** Prints an error for a person: expected failures as one clear line, anything else with its stack. Returns the exit code. */
export function reportError(error: unknown): number {
  if (expected.some((kind) => error instanceof kind)) {
    console.error(`error: ${(error as Error).message}`);
    return 1;
  }
  console.error(error);
  return 2;
}
