import sharp from 'sharp';
import { writeFileAtomic } from '../files/atomic-write-node.ts';
import type { RgbaImage } from './rgba-image.ts';

export async function encodePng(image: RgbaImage): Promise<Uint8Array> {
  const data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return sharp(data, { raw: { width: image.width, height: image.height, channels: 4 } }).png().toBuffer();
}

/** Writes a PNG through a temporary name, so `path` is never a half-written picture. */
export async function writePng(path: string, image: RgbaImage): Promise<void> {
  await writeFileAtomic(path, await encodePng(image));
}
