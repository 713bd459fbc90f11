import { resampleGeometry, type Preprocess, type ResampleGeometry } from '../model/preprocess.ts';
import type { RgbaImage } from '../image/rgba-image.ts';

/**
 * CPU reference of `shaders/preprocess_rows.wgsl` + `preprocess_columns.wgsl` with their tap tables: each resize filter
 * written out as its origin's C code runs it, on whole images (darknet's `resize_image` on a float32 image of
 * pixel/255 values; PIL's two 8-bit passes with fixed-point weights; PIL's nearest with its accumulated coordinates),
 * sharing no code with `src/model/resize-taps.ts`. Returns CHW float32 after scale, channel order and mean/std.
 */
export function preprocessReference(image: RgbaImage, pre: Preprocess, geometry = resampleGeometry(pre, image.width, image.height)): Float32Array {
  const { content } = geometry;
  const resized = resizeReference(image, geometry, pre.resizeFilter);
  const out = new Float32Array(3 * pre.width * pre.height);
  const plane = pre.width * pre.height;
  for (let y = 0; y < pre.height; y++) {
    for (let x = 0; x < pre.width; x++) {
      const inside = x >= content.x && y >= content.y && x < content.x + content.width && y < content.y + content.height;
      const at = ((y - content.y) * content.width + (x - content.x)) * 3;
      for (let c = 0; c < 3; c++) {
        const sourceChannel = pre.channelOrder === 'rgb' ? c : 2 - c;
        const value = inside ? resized[at + sourceChannel] * pre.scale : pre.letterboxFill;
        out[c * plane + y * pre.width + x] = (value - pre.mean[c]) / pre.std[c];
      }
    }
  }
  return out;
}

/** The content region, RGB interleaved, in 8-bit units (0…255, not rounded unless the origin rounds). */
function resizeReference(image: RgbaImage, geometry: ResampleGeometry, filter: Preprocess['resizeFilter']): Float64Array {
  switch (filter) {
    case 'bilinear':
      return darknetResize(image, geometry);
    case 'antialiased-bilinear':
      return pilBilinearResize(image, geometry);
    case 'nearest':
      return pilNearestResize(image, geometry);
    case 'bilinear-centres':
      return centredBilinearResize(image, geometry);
  }
}

const rgbAt = (image: RgbaImage, x: number, y: number, c: number) => image.data[(y * image.width + x) * 4 + c];
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * darknet's resize_image (image.c) on the float image darknet loads (pixel/255 in float32), every operation rounded
 * to float32 as C does; source rectangles other than the whole photo (multi-crop) start at their offset.
 */
function darknetResize(image: RgbaImage, { content, source }: ResampleGeometry): Float64Array {
  const f = Math.fround;
  const W = image.width;
  const H = image.height;
  const w = content.width;
  const h = content.height;
  const im = (x: number, y: number, c: number) => f(rgbAt(image, clamp(x, 0, W - 1), clamp(y, 0, H - 1), c) / 255);
  const wScale = w > 1 ? f((source.width - 1) / (w - 1)) : 0;
  const hScale = h > 1 ? f((source.height - 1) / (h - 1)) : 0;
  const at = (offset: number, t: number, scale: number) => (offset === 0 ? f(t * scale) : f(offset + f(t * scale)));
  // part: w × H, the horizontal pass.
  const part = new Float32Array(w * H * 3);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < w; c++) {
      for (let k = 0; k < 3; k++) {
        let val: number;
        const lastColumn = c === w - 1 || W === 1;
        const sx = lastColumn ? source.x + source.width - 1 : at(source.x, c, wScale);
        if (lastColumn && Number.isInteger(sx)) val = im(sx, r, k);
        else {
          const ix = Math.trunc(sx);
          const dx = f(sx - ix);
          val = f(f(f(1 - dx) * im(ix, r, k)) + f(dx * im(ix + 1, r, k)));
        }
        part[(r * w + c) * 3 + k] = val;
      }
    }
  }
  const out = new Float64Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    const sy = at(source.y, r, hScale);
    const iy = Math.trunc(sy);
    const dy = f(sy - iy);
    for (let c = 0; c < w; c++) {
      for (let k = 0; k < 3; k++) {
        let val = f(f(1 - dy) * part[(clamp(iy, 0, H - 1) * w + c) * 3 + k]);
        if (!(r === h - 1 || H === 1)) val = f(val + f(dy * part[(clamp(iy + 1, 0, H - 1) * w + c) * 3 + k]));
        out[(r * w + c) * 3 + k] = val * 255;
      }
    }
  }
  return out;
}

/** Per output coordinate of one axis, PIL's scale and the first output index (a crop of a whole-photo resize). */
function pilAxis(size: number, count: number, offset: number, extent: number, resizedLength?: number, resizedFirst?: number) {
  return resizedLength !== undefined
    ? { scale: size / resizedLength, in0: 0, skip: resizedFirst! }
    : { scale: extent / count, in0: offset, skip: 0 };
}

/** PIL's precompute_coeffs + normalize_coeffs_8bpc for the bilinear filter: [first index, integer weights] per output. */
function pilCoefficients(size: number, count: number, axis: ReturnType<typeof pilAxis>): [number, number[]][] {
  const filterscale = Math.max(axis.scale, 1);
  const support = 1 * filterscale;
  const coefficients: [number, number[]][] = [];
  for (let xx = 0; xx < count; xx++) {
    const center = axis.in0 + (xx + axis.skip + 0.5) * axis.scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > size) xmax = size;
    xmax -= xmin;
    const k: number[] = [];
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      let v = (x + xmin - center + 0.5) * ss;
      if (v < 0) v = -v;
      const wgt = v < 1 ? 1 - v : 0;
      k.push(wgt);
      ww += wgt;
    }
    coefficients.push([xmin, k.map((v) => Math.trunc(0.5 + (ww !== 0 ? v / ww : v) * (1 << 22)))]);
  }
  return coefficients;
}

const clip8 = (sum: number) => clamp(Math.floor(sum / (1 << 22)), 0, 255);

/** PIL's ImagingResample for 8-bit RGB: horizontal pass first, each pass rounded to 8 bits. */
function pilBilinearResize(image: RgbaImage, { content, source, resized, imageWidth, imageHeight }: ResampleGeometry): Float64Array {
  const w = content.width;
  const h = content.height;
  const kx = pilCoefficients(imageWidth, w, pilAxis(imageWidth, w, source.x, source.width, resized?.width, resized?.x));
  const ky = pilCoefficients(imageHeight, h, pilAxis(imageHeight, h, source.y, source.height, resized?.height, resized?.y));
  const rows = new Uint8Array(imageHeight * w * 3);
  for (let y = 0; y < imageHeight; y++) {
    for (let x = 0; x < w; x++) {
      const [first, k] = kx[x];
      for (let c = 0; c < 3; c++) {
        let sum = 1 << 21;
        k.forEach((weight, i) => (sum += rgbAt(image, first + i, y, c) * weight));
        rows[(y * w + x) * 3 + c] = clip8(sum);
      }
    }
  }
  const out = new Float64Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const [first, k] = ky[y];
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 1 << 21;
        k.forEach((weight, i) => (sum += rows[((first + i) * w + x) * 3 + c] * weight));
        out[(y * w + x) * 3 + c] = clip8(sum);
      }
    }
  }
  return out;
}

/** PIL's ImagingScaleAffine: coordinates accumulated in doubles from in0 + a/2, a = extent / count. */
function pilNearestIndices(size: number, count: number, axis: ReturnType<typeof pilAxis>): number[] {
  let xo = axis.in0 + axis.scale * 0.5;
  const indices: number[] = [];
  for (let x = 0; x < axis.skip + count; x++) {
    if (x >= axis.skip) indices.push(clamp(xo < 0 ? -1 : Math.trunc(xo), 0, size - 1));
    xo += axis.scale;
  }
  return indices;
}

function pilNearestResize(image: RgbaImage, { content, source, resized, imageWidth, imageHeight }: ResampleGeometry): Float64Array {
  const xs = pilNearestIndices(imageWidth, content.width, pilAxis(imageWidth, content.width, source.x, source.width, resized?.width, resized?.x));
  const ys = pilNearestIndices(imageHeight, content.height, pilAxis(imageHeight, content.height, source.y, source.height, resized?.height, resized?.y));
  const out = new Float64Array(content.width * content.height * 3);
  ys.forEach((sy, y) => xs.forEach((sx, x) => {
    for (let c = 0; c < 3; c++) out[(y * content.width + x) * 3 + c] = rgbAt(image, sx, sy, c);
  }));
  return out;
}

/** Bilinear at pixel centres in one 2-D sum, edges clamped (OpenCV's INTER_LINEAR, in doubles). */
function centredBilinearResize(image: RgbaImage, { content, source, resized, imageWidth, imageHeight }: ResampleGeometry): Float64Array {
  const axis = (size: number, count: number, offset: number, extent: number, length?: number, first?: number) => {
    const scale = length !== undefined ? size / length : extent / count;
    const start = length !== undefined ? first! * scale : offset;
    return (t: number): [number, number, number] => {
      const u = clamp(start + (t + 0.5) * scale - 0.5, 0, size - 1);
      const i = Math.floor(u);
      return [i, Math.min(i + 1, size - 1), u - i];
    };
  };
  const ax = axis(imageWidth, content.width, source.x, source.width, resized?.width, resized?.x);
  const ay = axis(imageHeight, content.height, source.y, source.height, resized?.height, resized?.y);
  const out = new Float64Array(content.width * content.height * 3);
  for (let y = 0; y < content.height; y++) {
    const [y0, y1, fy] = ay(y);
    for (let x = 0; x < content.width; x++) {
      const [x0, x1, fx] = ax(x);
      for (let c = 0; c < 3; c++) {
        const top = (1 - fx) * rgbAt(image, x0, y0, c) + fx * rgbAt(image, x1, y0, c);
        const bottom = (1 - fx) * rgbAt(image, x0, y1, c) + fx * rgbAt(image, x1, y1, c);
        out[(y * content.width + x) * 3 + c] = (1 - fy) * top + fy * bottom;
      }
    }
  }
  return out;
}
