/**
 * Photos into `RgbaImage` in the browser, pixel for pixel as `src/image/decode-node.ts` gives them in Node: no colour
 * management (`colorSpaceConversion: 'none'`), straight alpha, EXIF orientation applied, photos longer than
 * `maxDecodedSide` shrunk with their original size kept. PNGs decode to identical pixels on both sides.
 */
import { maxDecodedSide, maxImagePixels } from '../image/decode-limits.ts';
import { ImageInputError, type RgbaImage } from '../image/rgba-image.ts';

export interface Photo extends RgbaImage {
  name: string;
  originalWidth: number;
  originalHeight: number;
}

export async function decodeImageBlob(blob: Blob, name: string): Promise<Photo> {
  if (blob.type && !blob.type.startsWith('image/')) {
    throw new ImageInputError(`${name} is not an image (its type is ${blob.type})`);
  }
  const options: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' };
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, options);
  } catch (error) {
    throw new ImageInputError(`${name} is not an image this browser can decode (${(error as Error).message})`);
  }
  const originalWidth = bitmap.width;
  const originalHeight = bitmap.height;
  if (originalWidth * originalHeight > maxImagePixels) {
    bitmap.close();
    throw new ImageInputError(`${name} is ${originalWidth}×${originalHeight} pixels, more than the ${maxImagePixels} this page decodes. Shrink it first.`);
  }
  const longest = Math.max(originalWidth, originalHeight);
  if (longest > maxDecodedSide) {
    bitmap.close();
    const scale = maxDecodedSide / longest;
    bitmap = await createImageBitmap(blob, {
      ...options,
      resizeWidth: Math.max(1, Math.round(originalWidth * scale)),
      resizeHeight: Math.max(1, Math.round(originalHeight * scale)),
      resizeQuality: 'high',
    });
  }
  try {
    return { name, ...pixelsOf(bitmap, bitmap.width, bitmap.height), originalWidth, originalHeight };
  } finally {
    bitmap.close();
  }
}

/** The current frame of a playing video (the webcam), as a photo. */
export function videoFrame(video: HTMLVideoElement, name = 'webcam'): Photo {
  const width = video.videoWidth;
  const height = video.videoHeight;
  if (width === 0 || height === 0) throw new ImageInputError('the camera has not delivered a frame yet');
  return { name, ...pixelsOf(video, width, height), originalWidth: width, originalHeight: height };
}

function pixelsOf(source: CanvasImageSource, width: number, height: number): RgbaImage {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' })!;
  context.drawImage(source, 0, 0);
  const { data } = context.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
  return { width, height, data };
}

/** A photo on a canvas, at its decoded size. */
export function photoCanvas(photo: RgbaImage): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = photo.width;
  canvas.height = photo.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(photo.data), photo.width, photo.height), 0, 0);
  return canvas;
}
