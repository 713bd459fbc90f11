import type { RgbaImage } from '../image/rgba-image.ts';
import type { Preprocess, ResampleGeometry } from '../model/preprocess.ts';
import { photoCanvas } from './decode-browser.ts';

/**
 * The photo as the network saw it, at model-input size: the preprocessing's source region stretched over its content
 * rectangle, letterbox bars in the fill colour. The 3D explorer lays it on the input slab, under the fixations, which
 * are model-input pixels.
 */
export function modelInputPicture(photo: RgbaImage, geometry: ResampleGeometry, preprocess: Preprocess): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = preprocess.width;
  canvas.height = preprocess.height;
  const context = canvas.getContext('2d')!;
  // The fill is given after scaling (darknet: 0.5 of a [0, 1] pixel), so back to 8-bit values.
  const fill = Math.round(Math.min(255, Math.max(0, preprocess.letterboxFill / preprocess.scale)));
  context.fillStyle = `rgb(${fill}, ${fill}, ${fill})`;
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingQuality = 'high';
  const { source, content } = geometry;
  context.drawImage(photoCanvas(photo), source.x, source.y, source.width, source.height, content.x, content.y, content.width, content.height);
  return canvas;
}
