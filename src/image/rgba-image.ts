/** A decoded photo: 8-bit RGBA, row-major, top row first. Both platforms decode into this. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

export function assertRgbaImage(image: RgbaImage): void {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
    throw new ImageInputError(`image has no pixels (${image.width}×${image.height})`);
  }
  if (image.data.length !== image.width * image.height * 4) {
    throw new ImageInputError(
      `image data holds ${image.data.length} bytes, ${image.width}×${image.height} RGBA needs ${image.width * image.height * 4}`,
    );
  }
}
