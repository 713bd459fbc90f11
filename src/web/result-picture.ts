import type { RgbaImage } from '../image/rgba-image.ts';
import { mapSize, type Maps } from '../postprocess/maps.ts';
import { pixelBoxEdges } from '../postprocess/geometry.ts';
import { dotRadius, heatmapOverlay } from '../render/overlays.ts';
import { photoCanvas } from './decode-browser.ts';

/** Which results are drawn over the photo. */
export interface OverlayLayers {
  fixations: boolean;
  heatmap: boolean;
  saliency: boolean;
  box: boolean;
}

/** Outside the saliency mask the photo is darkened to this share of its brightness. */
const outsideMask = 0.3;

/** The photo scaled to the maps' size, kept per photo while the size stays. */
const scaledPhotos = new WeakMap<RgbaImage, RgbaImage>();

export function photoScaledTo(photo: RgbaImage, width: number, height: number): RgbaImage {
  if (photo.width === width && photo.height === height) return photo;
  const cached = scaledPhotos.get(photo);
  if (cached && cached.width === width && cached.height === height) return cached;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.imageSmoothingQuality = 'high';
  context.drawImage(photoCanvas(photo), 0, 0, width, height);
  const scaled = { width, height, data: context.getImageData(0, 0, width, height).data };
  scaledPhotos.set(photo, scaled);
  return scaled;
}

/** A map upsampled bilinearly (pixel centres, edges clamped) to the picture's size; the same array when it fits. */
export function upsampleMap(values: Float32Array, width: number, height: number, toWidth: number, toHeight: number): Float32Array {
  if (width === toWidth && height === toHeight) return values;
  const out = new Float32Array(toWidth * toHeight);
  const axis = (to: number, from: number) =>
    Array.from({ length: to }, (_, t) => {
      const u = Math.min(from - 1, Math.max(0, ((t + 0.5) * from) / to - 0.5));
      const i = Math.floor(u);
      return [i, Math.min(i + 1, from - 1), u - i] as const;
    });
  const xs = axis(toWidth, width);
  const ys = axis(toHeight, height);
  for (let y = 0; y < toHeight; y++) {
    const [y0, y1, fy] = ys[y];
    for (let x = 0; x < toWidth; x++) {
      const [x0, x1, fx] = xs[x];
      const top = values[y0 * width + x0] * (1 - fx) + values[y0 * width + x1] * fx;
      const bottom = values[y1 * width + x0] * (1 - fx) + values[y1 * width + x1] * fx;
      out[y * toWidth + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/**
 * The photo with the chosen results over it, at the photo's resolution or at most `maxSide` pixels a side (the
 * screen's: see ExplainSession.displaySide); the PNG download draws it whole with full-size maps. Maps made smaller
 * (a preview, or coarser than the picture where sigma allows) are upsampled and thresholded again at the picture's
 * size. The heatmap is blended as the CLI writes it (render/overlays.ts), the saliency mask shown as everything
 * outside it darkened, the box and the fixations (red; removed outliers cyan) drawn on top.
 */
export function drawResult(canvas: HTMLCanvasElement, photo: RgbaImage, maps: Maps | null, layers: OverlayLayers, colormap: Uint8Array, maxSide?: number): void {
  const usable = maps !== null && maps.photoWidth === photo.width && maps.photoHeight === photo.height;
  const { width, height } = mapSize(photo.width, photo.height, maxSide);
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d')!;
  const base = photoScaledTo(photo, width, height);
  let picture: RgbaImage = base;
  const attention = usable ? upsampleMap(maps.attention, maps.width, maps.height, width, height) : null;
  if (attention && layers.heatmap) picture = heatmapOverlay(base, attention, colormap);
  const pixels = new Uint8ClampedArray(picture.data);
  if (usable && attention && layers.saliency) {
    const resized = attention !== maps.attention;
    for (let i = 0; i < attention.length; i++) {
      if (resized ? attention[i] >= maps.threshold && attention[i] > 0 : maps.saliency[i]) continue;
      pixels[i * 4] *= outsideMask;
      pixels[i * 4 + 1] *= outsideMask;
      pixels[i * 4 + 2] *= outsideMask;
    }
  }
  context.putImageData(new ImageData(pixels, width, height), 0, 0);
  if (!usable) return;
  // Boxes and fixations are in photo pixels; the picture may be smaller.
  const sx = width / photo.width;
  const sy = height / photo.height;
  if (layers.box && maps.box) {
    const box = pixelBoxEdges(maps.box);
    const thickness = Math.max(2, Math.round(Math.hypot(width, height) / 250));
    context.strokeStyle = 'rgb(60, 255, 60)';
    context.lineWidth = thickness;
    context.strokeRect(box.x0 * sx + thickness / 2, box.y0 * sy + thickness / 2, (box.x1 - box.x0) * sx - thickness, (box.y1 - box.y0) * sy - thickness);
  }
  if (layers.fixations) {
    const r = dotRadius(width, height) + 0.5;
    const dots = (points: readonly [number, number][], color: string, radius: number) => {
      context.fillStyle = color;
      context.beginPath();
      for (const [x, y] of points) {
        const cx = (x + 0.5) * sx;
        const cy = (y + 0.5) * sy;
        context.moveTo(cx + radius, cy);
        context.arc(cx, cy, radius, 0, 2 * Math.PI);
      }
      context.fill();
    };
    dots(maps.removed, 'rgb(0, 230, 255)', Math.max(1, r - 1));
    dots(maps.kept, 'rgb(255, 30, 30)', r);
  }
}
