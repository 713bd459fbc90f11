/**
 * Input preprocessing: how a photo of any size becomes the model's input tensor, and how a model-input pixel maps back to
 * the photo. The GPU kernel (`shaders/preprocess.wgsl`) and the CPU reference both implement
 * {@link ResampleGeometry}; this module only computes it.
 */

export type ResizeMode = 'resize' | 'center-crop' | 'letterbox';
export type ChannelOrder = 'rgb' | 'bgr';
export type Triple = readonly [number, number, number];

export interface Preprocess {
  width: number;
  height: number;
  /**
   * - `resize`: stretch the whole photo to width×height (aspect not kept).
   * - `center-crop`: take the centred region whose shorter side is `cropFraction` of the photo's shorter side (the
   *   torchvision recipe Resize(256) + CenterCrop(224) is `cropFraction` 224/256) and resize it.
   * - `letterbox`: fit the whole photo inside, aspect kept, centred; the rest is `letterboxFill` (darknet's recipe).
   */
  resize: ResizeMode;
  cropFraction: number;
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

/** torchvision's ImageNet recipe: RGB in [0, 1], Resize(256) + CenterCrop(224), ImageNet mean/std. */
export const torchvisionPreprocess: Preprocess = {
  width: 224,
  height: 224,
  resize: 'center-crop',
  cropFraction: 224 / 256,
  letterboxFill: 0,
  scale: 1 / 255,
  mean: imagenetMean,
  std: imagenetStd,
  channelOrder: 'rgb',
};

/** Keras / Caffe VGG: BGR in [0, 255] minus the Caffe means, no std. */
export const caffePreprocess: Preprocess = {
  ...torchvisionPreprocess,
  scale: 1,
  mean: [103.939, 116.779, 123.68],
  std: [1, 1, 1],
  channelOrder: 'bgr',
};

/** darknet: RGB in [0, 1], letterboxed onto a canvas of 0.5. */
export function darknetPreprocess(width: number, height: number): Preprocess {
  return {
    width,
    height,
    resize: 'letterbox',
    cropFraction: 1,
    letterboxFill: 0.5,
    scale: 1 / 255,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    channelOrder: 'rgb',
  };
}

/** Plain [0, 1] RGB stretched to size: what TinyVGG (CNN Explainer) was trained with. */
export function unitRgbPreprocess(width: number, height: number): Preprocess {
  return { ...darknetPreprocess(width, height), resize: 'resize', letterboxFill: 0 };
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where the photo goes in the model input: the model pixels in `content` (integers) show the photo region `source`
 * (in photo pixels, fractional), stretched; model pixels outside `content` are letterbox fill.
 */
export interface ResampleGeometry {
  imageWidth: number;
  imageHeight: number;
  content: Rect;
  source: Rect;
}

export function resampleGeometry(pre: Preprocess, imageWidth: number, imageHeight: number): ResampleGeometry {
  const full: Rect = { x: 0, y: 0, width: imageWidth, height: imageHeight };
  const canvas: Rect = { x: 0, y: 0, width: pre.width, height: pre.height };
  switch (pre.resize) {
    case 'resize':
      return { imageWidth, imageHeight, content: canvas, source: full };
    case 'center-crop': {
      const k = Math.min(imageWidth / pre.width, imageHeight / pre.height) * pre.cropFraction;
      const width = pre.width * k;
      const height = pre.height * k;
      return {
        imageWidth,
        imageHeight,
        content: canvas,
        source: { x: (imageWidth - width) / 2, y: (imageHeight - height) / 2, width, height },
      };
    }
    case 'letterbox': {
      // darknet's integer arithmetic (letterbox_image), so boxes line up with darknet's own.
      let width: number;
      let height: number;
      if (pre.width / imageWidth < pre.height / imageHeight) {
        width = pre.width;
        height = Math.max(1, Math.floor((imageHeight * pre.width) / imageWidth));
      } else {
        height = pre.height;
        width = Math.max(1, Math.floor((imageWidth * pre.height) / imageHeight));
      }
      const x = Math.floor((pre.width - width) / 2);
      const y = Math.floor((pre.height - height) / 2);
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
