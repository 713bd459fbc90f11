/**
 * Pictures of the results, drawn into RGBA buffers of the photo's size, so Node writes them as PNG and the browser puts
 * them on a canvas.
 */
import type { RgbaImage } from '../image/rgba-image.ts';
import type { Box, Point } from '../postprocess/geometry.ts';

export type Rgb = readonly [number, number, number];

function copyOf(photo: RgbaImage, dim = 1): RgbaImage {
  const data = new Uint8ClampedArray(photo.data.length);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = photo.data[i] * dim;
    data[i + 1] = photo.data[i + 1] * dim;
    data[i + 2] = photo.data[i + 2] * dim;
    data[i + 3] = 255;
  }
  return { width: photo.width, height: photo.height, data };
}

function disc(image: RgbaImage, cx: number, cy: number, radius: number, color: Rgb): void {
  for (let y = Math.max(0, cy - radius); y <= Math.min(image.height - 1, cy + radius); y++) {
    for (let x = Math.max(0, cx - radius); x <= Math.min(image.width - 1, cx + radius); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 > radius * radius + radius) continue;
      image.data.set(color, (y * image.width + x) * 4);
    }
  }
}

/** A dot size that reads at the photo's size. */
export function dotRadius(width: number, height: number): number {
  return Math.max(1, Math.round(Math.hypot(width, height) / 300));
}

/** The photo, dimmed, with kept fixations as red dots and removed outliers as small cyan ones. */
export function fixationsOverlay(photo: RgbaImage, kept: readonly Point[], removed: readonly Point[] = []): RgbaImage {
  const image = copyOf(photo, 0.75);
  const r = dotRadius(photo.width, photo.height);
  for (const [x, y] of removed) disc(image, x, y, Math.max(1, r - 1), [0, 230, 255]);
  for (const [x, y] of kept) disc(image, x, y, r, [255, 30, 30]);
  return image;
}

/** The attention map in a colour map, blended over the photo with opacity growing with the attention. */
export function heatmapOverlay(photo: RgbaImage, attention: Float32Array, table: Uint8Array, maxOpacity = 0.65): RgbaImage {
  const image = copyOf(photo);
  for (let i = 0; i < attention.length; i++) {
    const a = Math.min(1, Math.max(0, attention[i]));
    const k = Math.round(a * 255) * 3;
    const alpha = maxOpacity * a;
    for (let c = 0; c < 3; c++) image.data[i * 4 + c] = (1 - alpha) * image.data[i * 4 + c] + alpha * table[k + c];
  }
  return image;
}

/** The saliency mask as a black and white picture. */
export function maskImage(mask: Uint8Array, width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i] ? 255 : 0;
    data[i * 4] = v;
    data[i * 4 + 1] = v;
    data[i * 4 + 2] = v;
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

/** Rectangle outlines over the photo; boxes have pixel edges (x0 ≤ x < x1). */
export function boxesOverlay(photo: RgbaImage, boxes: { box: Box; color: Rgb }[]): RgbaImage {
  const image = copyOf(photo);
  const thickness = Math.max(2, Math.round(Math.hypot(photo.width, photo.height) / 250));
  for (const { box, color } of boxes) {
    const x0 = Math.max(0, Math.floor(box.x0));
    const y0 = Math.max(0, Math.floor(box.y0));
    const x1 = Math.min(photo.width, Math.ceil(box.x1));
    const y1 = Math.min(photo.height, Math.ceil(box.y1));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const edge = x - x0 < thickness || x1 - 1 - x < thickness || y - y0 < thickness || y1 - 1 - y < thickness;
        if (edge) image.data.set(color, (y * photo.width + x) * 4);
      }
    }
  }
  return image;
}
