import type { RgbaImage } from '../image/rgba-image.ts';
import type { Maps } from '../postprocess/maps.ts';
import { pixelBoxEdges } from '../postprocess/geometry.ts';
import { dotRadius, heatmapOverlay } from '../render/overlays.ts';

/** Which results are drawn over the photo. */
export interface OverlayLayers {
  fixations: boolean;
  heatmap: boolean;
  saliency: boolean;
  box: boolean;
}

/** Outside the saliency mask the photo is darkened to this share of its brightness. */
const outsideMask = 0.3;

/**
 * The photo with the chosen results over it, at the photo's own resolution, so the PNG download is the picture seen:
 * the heatmap blended as the CLI writes it (render/overlays.ts), the saliency mask as everything outside it darkened,
 * the box and the fixations (red; removed outliers cyan) drawn on top.
 */
export function drawResult(canvas: HTMLCanvasElement, photo: RgbaImage, maps: Maps | null, layers: OverlayLayers, colormap: Uint8Array): void {
  canvas.width = photo.width;
  canvas.height = photo.height;
  const context = canvas.getContext('2d')!;
  const usable = maps !== null && maps.width === photo.width && maps.height === photo.height;
  let picture: RgbaImage = photo;
  if (usable && layers.heatmap) picture = heatmapOverlay(photo, maps.attention, colormap);
  const pixels = new Uint8ClampedArray(picture.data);
  if (usable && layers.saliency) {
    for (let i = 0; i < maps.saliency.length; i++) {
      if (maps.saliency[i]) continue;
      pixels[i * 4] *= outsideMask;
      pixels[i * 4 + 1] *= outsideMask;
      pixels[i * 4 + 2] *= outsideMask;
    }
  }
  context.putImageData(new ImageData(pixels, photo.width, photo.height), 0, 0);
  if (!usable) return;
  if (layers.box && maps.box) {
    const box = pixelBoxEdges(maps.box);
    const thickness = Math.max(2, Math.round(Math.hypot(photo.width, photo.height) / 250));
    context.strokeStyle = 'rgb(60, 255, 60)';
    context.lineWidth = thickness;
    context.strokeRect(box.x0 + thickness / 2, box.y0 + thickness / 2, box.x1 - box.x0 - thickness, box.y1 - box.y0 - thickness);
  }
  if (layers.fixations) {
    const r = dotRadius(photo.width, photo.height) + 0.5;
    const dots = (points: readonly [number, number][], color: string, radius: number) => {
      context.fillStyle = color;
      context.beginPath();
      for (const [x, y] of points) {
        context.moveTo(x + 0.5 + radius, y + 0.5);
        context.arc(x + 0.5, y + 0.5, radius, 0, 2 * Math.PI);
      }
      context.fill();
    };
    dots(maps.removed, 'rgb(0, 230, 255)', Math.max(1, r - 1));
    dots(maps.kept, 'rgb(255, 30, 30)', r);
  }
}
