/**
 * Input preprocessing: how a photo of any size becomes the model's input tensor, and how a model-input pixel maps back to
 * the photo. Each model's recipe is its origin's, step by step (darknet, torchvision, Keras, CNN Explainer): where the
 * photo lands ({@link resampleGeometry}), which resize filter samples it ({@link ResizeFilter}; its taps are in
 * `resize-taps.ts`), then scale, channel order and mean/std. The GPU kernels (`shaders/preprocess_*.wgsl`) and the CPU
 * reference (`src/reference/preprocess.ts`) both follow it; this module only describes it.
 */

export const resizeModes = ['resize', 'center-crop', 'letterbox', 'cnn-explainer'] as const;
export type ResizeMode = (typeof resizeModes)[number];
export type ChannelOrder = 'rgb' | 'bgr';
export type Triple = readonly [number, number, number];

/**
 * How photo pixels are sampled, each exactly as the library named does it:
 * - `nearest`: the photo pixel under each model pixel's centre, as PIL's NEAREST (Keras `load_img`'s default).
 * - `bilinear`: two taps per axis with the corners aligned (model pixel i reads photo position i·(W−1)/(w−1)), no
 *   antialiasing, in float32: darknet's `resize_image`, quirks included.
 * - `bilinear-centres`: two taps per axis at pixel centres, no antialiasing (OpenCV's INTER_LINEAR; a browser canvas).
 * - `antialiased-bilinear`: PIL's BILINEAR, the triangle widened by the shrink factor, rows then columns, each pass
 *   rounded to 8 bits with PIL's fixed-point weights (torchvision's `Resize` on PIL images).
 */
export const resizeFilters = ['nearest', 'bilinear', 'bilinear-centres', 'antialiased-bilinear'] as const;
export type ResizeFilter = (typeof resizeFilters)[number];

export const resizeFilterDescriptions: Record<ResizeFilter, string> = {
  nearest: 'nearest pixel (PIL NEAREST, Keras load_img)',
  bilinear: 'bilinear, corners aligned, no antialiasing (darknet resize_image)',
  'bilinear-centres': 'bilinear at pixel centres, no antialiasing (OpenCV, a browser canvas)',
  'antialiased-bilinear': 'antialiased bilinear (PIL BILINEAR, torchvision Resize)',
};

export interface Preprocess {
  width: number;
  height: number;
  /**
   * - `resize`: stretch the whole photo to width×height (aspect not kept): Keras `load_img(target_size=…)`.
   * - `center-crop`: torchvision's `Resize(S)` + `CenterCrop`: the photo's shorter side resized to
   *   S = round(min(width, height) / cropFraction) (the longer to ⌊S·long/short⌋), then the centred width×height crop
   *   (offsets rounded half to even, as Python's `round`). Resize(256) + CenterCrop(224) is `cropFraction` 224/256.
   * - `letterbox`: fit the whole photo inside, aspect kept, centred, with darknet's integer arithmetic; the rest is
   *   `letterboxFill` (darknet's `letterbox_image`).
   * - `cnn-explainer`: CNN Explainer's canvas recipe: a photo larger than the input has its shorter side drawn at
   *   min(width, height) + 1 pixels (canvas sizes truncated) and the central width×height taken (offset
   *   ⌊W′/2⌋ − ⌊width/2⌋); a photo no larger than the input is stretched to it (CNN Explainer's own photos are 64×64).
   *   Not copied: CNN Explainer fills its array column-major for photos that are not square, which feeds them
   *   transposed; here they stay upright.
   */
  resize: ResizeMode;
  cropFraction: number;
  /** How photo pixels are sampled; shown with every result, `--resize-filter` overrides it. */
  resizeFilter: ResizeFilter;
  /** Value of letterbox padding, in the units after `scale` and before mean/std (darknet: 0.5). */
  letterboxFill: number;
  /** Multiplies 8-bit pixel values (1/255 maps to [0, 1]). */
  scale: number;
  /** Per output channel (after `channelOrder`): value = (pixel · scale − mean) / std. */
  mean: Triple;
  std: Triple;
  channelOrder: ChannelOrder;
}

const imagenetMean: Triple = [0.485, 0.456, 0.406];
const imagenetStd: Triple = [0.229, 0.224, 0.225];

/**
 * torchvision's ImageNet recipe on PIL images: `Resize(256)` (PIL bilinear, antialiased), `CenterCrop(224)`,
 * `ToTensor()` (RGB in [0, 1]), `Normalize` with the ImageNet mean/std.
 */
export const torchvisionPreprocess: Preprocess = {
  width: 224,
  height: 224,
  resize: 'center-crop',
  cropFraction: 224 / 256,
  resizeFilter: 'antialiased-bilinear',
  letterboxFill: 0,
  scale: 1 / 255,
  mean: imagenetMean,
  std: imagenetStd,
  channelOrder: 'rgb',
};

/**
 * Keras applications' VGG: `load_img(path, target_size=(224, 224))` (the whole photo stretched, PIL nearest: its
 * default interpolation), then `preprocess_input` in caffe mode: BGR in [0, 255] minus the Caffe means, no std.
 */
export const caffePreprocess: Preprocess = {
  width: 224,
  height: 224,
  resize: 'resize',
  cropFraction: 1,
  resizeFilter: 'nearest',
  letterboxFill: 0,
  scale: 1,
  mean: [103.939, 116.779, 123.68],
  std: [1, 1, 1],
  channelOrder: 'bgr',
};

/** darknet's `classifier predict`: RGB in [0, 1], `letterbox_image` (its own bilinear `resize_image`) onto 0.5. */
export function darknetPreprocess(width: number, height: number): Preprocess {
  return {
    width,
    height,
    resize: 'letterbox',
    cropFraction: 1,
    resizeFilter: 'bilinear',
    letterboxFill: 0.5,
    scale: 1 / 255,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    channelOrder: 'rgb',
  };
}

/** Plain [0, 1] RGB stretched to size, antialiased: the toy models of the tests. */
export function unitRgbPreprocess(width: number, height: number): Preprocess {
  return { ...darknetPreprocess(width, height), resize: 'resize', resizeFilter: 'antialiased-bilinear', letterboxFill: 0 };
}

/** TinyVGG as CNN Explainer feeds it: [0, 1] RGB, its canvas recipe (see `cnn-explainer` above), bilinear. */
export function cnnExplainerPreprocess(width: number, height: number): Preprocess {
  return { ...darknetPreprocess(width, height), resize: 'cnn-explainer', resizeFilter: 'bilinear-centres', letterboxFill: 0 };
}

/**
 * The resize filter of a recipe stored without one (converted files written before the filter was part of the
 * recipe): its origin's, recognised from the rest of the recipe: darknet letterboxes, the Keras/Caffe recipe is BGR,
 * CNN Explainer's has its own mode, anything else is torchvision's.
 */
export function originResizeFilter(pre: Omit<Preprocess, 'resizeFilter'>): ResizeFilter {
  if (pre.resize === 'letterbox') return 'bilinear';
  if (pre.channelOrder === 'bgr') return 'nearest';
  if (pre.resize === 'cnn-explainer') return 'bilinear-centres';
  return 'antialiased-bilinear';
}

/** One line for people: where the photo goes, which filter samples it, and the value mapping. */
export function describePreprocess(pre: Preprocess): string {
  const placement = {
    resize: `stretched to ${pre.width}×${pre.height}`,
    'center-crop': `shorter side to ${Math.round(Math.min(pre.width, pre.height) / pre.cropFraction)}, centre crop ${pre.width}×${pre.height}`,
    letterbox: `letterboxed onto ${pre.width}×${pre.height} (fill ${pre.letterboxFill})`,
    'cnn-explainer': `shorter side to ${Math.min(pre.width, pre.height) + 1}, centre crop ${pre.width}×${pre.height} (CNN Explainer)`,
  }[pre.resize];
  const values = pre.std.every((s) => s === 1) && pre.mean.every((m) => m === 0) ? '' : pre.std.every((s) => s === 1) ? ', minus mean' : ', mean/std';
  const range = pre.scale === 1 ? '[0, 255]' : pre.scale === 1 / 255 ? '[0, 1]' : `× ${pre.scale}`;
  return `${placement}, ${resizeFilterDescriptions[pre.resizeFilter]}, ${pre.channelOrder.toUpperCase()} ${range}${values}`;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where the photo goes in the model input: the model pixels in `content` (integers) show the photo region `source`
 * (in photo pixels, fractional), stretched; model pixels outside `content` are letterbox fill. `resized`, when the
 * recipe resizes the whole photo and then crops it (torchvision, CNN Explainer), is that intermediate size and the
 * crop's offset in it, so the filters sample exactly where the origin's do.
 */
export interface ResampleGeometry {
  imageWidth: number;
  imageHeight: number;
  content: Rect;
  source: Rect;
  resized?: Rect;
}

/** Python's round(): halves to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The whole photo resized to `resized` (width × height) and the window at (x, y) of the model's size taken. */
function cropOfResized(pre: Preprocess, imageWidth: number, imageHeight: number, resized: Rect): ResampleGeometry {
  const scaleX = imageWidth / resized.width;
  const scaleY = imageHeight / resized.height;
  return {
    imageWidth,
    imageHeight,
    content: { x: 0, y: 0, width: pre.width, height: pre.height },
    source: { x: resized.x * scaleX, y: resized.y * scaleY, width: pre.width * scaleX, height: pre.height * scaleY },
    resized,
  };
}

export function resampleGeometry(pre: Preprocess, imageWidth: number, imageHeight: number): ResampleGeometry {
  const full: Rect = { x: 0, y: 0, width: imageWidth, height: imageHeight };
  const canvas: Rect = { x: 0, y: 0, width: pre.width, height: pre.height };
  switch (pre.resize) {
    case 'resize':
      return { imageWidth, imageHeight, content: canvas, source: full };
    case 'center-crop': {
      // torchvision's _compute_resized_output_size, then center_crop.
      const shorter = Math.round(Math.min(pre.width, pre.height) / pre.cropFraction);
      const portrait = imageWidth <= imageHeight;
      const longer = Math.trunc((shorter * (portrait ? imageHeight : imageWidth)) / (portrait ? imageWidth : imageHeight));
      const width = portrait ? shorter : longer;
      const height = portrait ? longer : shorter;
      return cropOfResized(pre, imageWidth, imageHeight, {
        x: roundHalfEven((width - pre.width) / 2),
        y: roundHalfEven((height - pre.height) / 2),
        width,
        height,
      });
    }
    case 'cnn-explainer': {
      if (imageWidth <= pre.width && imageHeight <= pre.height) return { imageWidth, imageHeight, content: canvas, source: full };
      const factor = (Math.min(pre.width, pre.height) + 1) / Math.min(imageWidth, imageHeight);
      const width = Math.trunc(imageWidth * factor);
      const height = Math.trunc(imageHeight * factor);
      return cropOfResized(pre, imageWidth, imageHeight, {
        x: Math.floor(width / 2) - Math.floor(pre.width / 2),
        y: Math.floor(height / 2) - Math.floor(pre.height / 2),
        width,
        height,
      });
    }
    case 'letterbox': {
      // darknet's letterbox_image: the comparison in float32, the sizes and offsets in integers.
      let width: number;
      let height: number;
      if (Math.fround(pre.width / imageWidth) < Math.fround(pre.height / imageHeight)) {
        width = pre.width;
        height = Math.max(1, Math.trunc((imageHeight * pre.width) / imageWidth));
      } else {
        height = pre.height;
        width = Math.max(1, Math.trunc((imageWidth * pre.height) / imageHeight));
      }
      const x = Math.trunc((pre.width - width) / 2);
      const y = Math.trunc((pre.height - height) / 2);
      return { imageWidth, imageHeight, content: { x, y, width, height }, source: full };
    }
  }
}

/**
 * The photo pixel under the centre of model pixel (x, y), or null when (x, y) is letterbox fill.
 */
export function modelPixelToImage(geometry: ResampleGeometry, x: number, y: number): [number, number] | null {
  const { content, source } = geometry;
  if (x < content.x || y < content.y || x >= content.x + content.width || y >= content.y + content.height) return null;
  const u = source.x + ((x - content.x + 0.5) * source.width) / content.width;
  const v = source.y + ((y - content.y + 0.5) * source.height) / content.height;
  return [
    Math.min(geometry.imageWidth - 1, Math.max(0, Math.floor(u))),
    Math.min(geometry.imageHeight - 1, Math.max(0, Math.floor(v))),
  ];
}
