import sharp from 'sharp';
import type { RgbaImage } from './rgba-image.ts';

export async function writePng(path: string, image: RgbaImage): Promise<void> {
  const data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  await sharp(data, { raw: { width: image.width, height: image.height, channels: 4 } }).png().toFile(path);
}
