import { resampleGeometry, type Preprocess } from '../model/preprocess.ts';
import type { RgbaImage } from '../image/rgba-image.ts';

/** Taps and normalised weights of one output coordinate along one axis: a triangle filter widened when shrinking. */
function axisTaps(center: number, scale: number, size: number): { first: number; weights: number[] } {
  const support = Math.max(scale, 1);
  const first = Math.max(Math.floor(center - support), 0);
  const end = Math.min(Math.ceil(center + support), size);
  const weights: number[] = [];
  let total = 0;
  for (let j = first; j < end; j++) {
    const w = Math.max(0, 1 - Math.abs(j + 0.5 - center) / support);
    weights.push(w);
    total += w;
  }
  return { first, weights: weights.map((w) => w / total) };
}

/**
 * CPU reference of `shaders/preprocess_rows.wgsl` + `preprocess_columns.wgsl` (computed here in one 2-D sum): the photo resampled with an antialiased (area-widened triangle) filter
 * into the model's input, letterbox fill outside the content, then scaled and normalised. Returns CHW float32.
 */
export function preprocessReference(image: RgbaImage, pre: Preprocess): Float32Array {
  const { content, source } = resampleGeometry(pre, image.width, image.height);
  const out = new Float32Array(3 * pre.width * pre.height);
  const plane = pre.width * pre.height;
  const scaleX = source.width / content.width;
  const scaleY = source.height / content.height;
  for (let y = 0; y < pre.height; y++) {
    for (let x = 0; x < pre.width; x++) {
      const rgb = [pre.letterboxFill, pre.letterboxFill, pre.letterboxFill];
      const inside = x >= content.x && y >= content.y && x < content.x + content.width && y < content.y + content.height;
      if (inside) {
        const tx = axisTaps(source.x + (x - content.x + 0.5) * scaleX, scaleX, image.width);
        const ty = axisTaps(source.y + (y - content.y + 0.5) * scaleY, scaleY, image.height);
        const sum = [0, 0, 0];
        ty.weights.forEach((wy, j) => {
          const row = (ty.first + j) * image.width;
          tx.weights.forEach((wx, i) => {
            const p = (row + tx.first + i) * 4;
            for (let c = 0; c < 3; c++) sum[c] += wy * wx * image.data[p + c];
          });
        });
        for (let c = 0; c < 3; c++) rgb[c] = sum[c] * pre.scale;
      }
      for (let c = 0; c < 3; c++) {
        const sourceChannel = pre.channelOrder === 'rgb' ? c : 2 - c;
        out[c * plane + y * pre.width + x] = (rgb[sourceChannel] - pre.mean[c]) / pre.std[c];
      }
    }
  }
  return out;
}
