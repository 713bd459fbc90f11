import { ModelShapeError } from '../../model/shapes.ts';

/**
 * Output size of a sliding window over `size` padded by `padding` before and `paddingAfter` (default the same) after,
 * or an error naming the node when the window does not fit.
 */
export function windowOutput(name: string, size: number, kernel: number, stride: number, padding: number, paddingAfter = padding): number {
  const out = Math.floor((size + padding + paddingAfter - kernel) / stride) + 1;
  if (out < 1) {
    const pads = paddingAfter === padding ? `padding ${padding}` : `padding ${padding} before and ${paddingAfter} after`;
    throw new ModelShapeError(`${name}: a ${kernel}-wide window with stride ${stride} and ${pads} does not fit an input of ${size}`);
  }
  return out;
}

/**
 * The official rule's window centre, S·y − P + (K − 1)/2 with P the padding before (top or left), clamped into the
 * input when padding pushes it outside.
 */
export function windowCentre(out: number, kernel: number, stride: number, padding: number, size: number): number {
  return Math.min(size - 1, Math.max(0, out * stride - padding + Math.floor((kernel - 1) / 2)));
}

/** A node id (CHW flat index) as (channel, y, x) and back. */
export function nodeOf(channel: number, y: number, x: number, shape: { height: number; width: number }): number {
  return (channel * shape.height + y) * shape.width + x;
}

export function coordinatesOf(node: number, shape: { height: number; width: number }): { channel: number; y: number; x: number } {
  const plane = shape.height * shape.width;
  return { channel: Math.floor(node / plane), y: Math.floor((node % plane) / shape.width), x: node % shape.width };
}
