/**
 * The ranges every size, count and stride read from a model file must fall in: positive (or, where zero means
 * something, non-negative) integers no larger than any real model needs. A fractional, negative, hexadecimal or absurd
 * number is refused where it is read, by name, before it can become a shape, a loop bound or an allocation.
 */
import { ModelFormatError } from './format-error.ts';

export const limits = {
  /** Input height and width, kernel sizes, strides and paddings. */
  side: 16_384,
  /** Channels of a convolution. */
  channels: 65_536,
  /** Inputs and outputs of a dense layer (VGG's fc6 takes 25 088; ImageNet-22k has 21 843 classes). */
  features: 1 << 24,
  /** One tensor's bytes: VGG19 at 448 px has a 1.6 GB fc6. More cannot be one typed array on most machines. */
  tensorBytes: 2 ** 32,
} as const;

/** A value as a message shows it: JSON, except numbers JSON cannot spell (NaN, ±Infinity). */
export function showValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

/** `value` as an integer in [min, max], or a ModelFormatError naming `file` and `what`. */
export function integerIn(value: unknown, min: number, max: number, file: string, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const kind = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`;
    throw new ModelFormatError(file, `${what} is ${showValue(value)}; it must be ${kind} no larger than ${max}`);
  }
  return value;
}

/** Element count of a tensor shape whose every dimension is a non-negative integer, capped at {@link limits.tensorBytes}. */
export function tensorElements(shape: unknown, bytesPerElement: number, file: string, what: string): number {
  if (!Array.isArray(shape)) throw new ModelFormatError(file, `${what} has shape ${showValue(shape)}; a shape is a list of sizes`);
  let count = 1;
  shape.forEach((d, i) => {
    count *= integerIn(d, 0, limits.tensorBytes, file, `${what} shape[${i}]`);
  });
  if (count * bytesPerElement > limits.tensorBytes) {
    throw new ModelFormatError(file, `${what} ${JSON.stringify(shape)} is ${count * bytesPerElement} bytes, more than the ${limits.tensorBytes} one tensor may be`);
  }
  return count;
}
