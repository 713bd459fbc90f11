import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { maxDecodedSide, maxImagePixels } from './decode-limits.ts';
import { ImageInputError, type RgbaImage } from './rgba-image.ts';

/** A decoded photo, and the size of the file's own pixels when it was shrunk to fit the GPU. */
export interface DecodedImage extends RgbaImage {
  name: string;
  originalWidth: number;
  originalHeight: number;
}

export { maxDecodedSide, maxImagePixels } from './decode-limits.ts';

export interface DecodeOptions {
  /** Clockwise quarter turns applied after the EXIF orientation (for datasets that store photos on their side). */
  rotate?: 0 | 90 | 180 | 270;
}

/** A decoder's complaint as one short line: libvips repeats its warnings, one per line. */
function decoderReason(error: unknown): string {
  const first = ((error as Error)?.message ?? String(error)).split('\n')[0].trim();
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}

export async function decodeImage(bytes: Uint8Array, name: string, options: DecodeOptions = {}): Promise<DecodedImage> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: maxImagePixels }).metadata();
  } catch (error) {
    throw new ImageInputError(
      `${name} is not an image that can be decoded (${decoderReason(error)}). Use a JPEG, PNG, WebP, GIF, AVIF or TIFF file.`,
    );
  }
  const oriented = ((metadata.orientation ?? 1) >= 5) !== (options.rotate === 90 || options.rotate === 270);
  const originalWidth = (oriented ? metadata.height : metadata.width) ?? 0;
  const originalHeight = (oriented ? metadata.width : metadata.height) ?? 0;
  if (originalWidth * originalHeight > maxImagePixels) {
    throw new ImageInputError(
      `${name} is ${originalWidth}×${originalHeight} pixels, more than the ${maxImagePixels} this tool decodes. Shrink it first (for example to 4096 pixels on the longest side).`,
    );
  }
  try {
    let pipeline = sharp(bytes, { limitInputPixels: maxImagePixels }).rotate();
    // sharp applies one rotation per pipeline: the EXIF one is baked in first, the extra turn after it.
    if (options.rotate) pipeline = sharp(await pipeline.toBuffer(), { limitInputPixels: maxImagePixels }).rotate(options.rotate);
    if (Math.max(originalWidth, originalHeight) > maxDecodedSide) {
      pipeline = pipeline.resize({ width: maxDecodedSide, height: maxDecodedSide, fit: 'inside' });
    }
    const { data, info } = await pipeline.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoded to ${info.channels} channels`);
    return {
      name,
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      originalWidth,
      originalHeight,
    };
  } catch (error) {
    throw new ImageInputError(`${name} could not be decoded (${decoderReason(error)}); the file may be truncated or corrupt.`);
  }
}

export async function decodeImageFile(path: string, options: DecodeOptions = {}): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ImageInputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return decodeImage(bytes, basename(path), options);
}
