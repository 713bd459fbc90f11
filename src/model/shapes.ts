/** A CHW tensor; vectors are `{ channels: n, height: 1, width: 1 }`. */
export interface TensorShape {
  channels: number;
  height: number;
  width: number;
}

export function elementCount(shape: TensorShape): number {
  return shape.channels * shape.height * shape.width;
}

export function isVector(shape: TensorShape): boolean {
  return shape.height === 1 && shape.width === 1;
}

export function formatShape(shape: TensorShape): string {
  return isVector(shape) ? `${shape.channels}` : `${shape.channels}×${shape.height}×${shape.width}`;
}

/** A node whose sizes do not fit its inputs, or a graph that does not connect: raised before any weights are read. */
export class ModelShapeError extends Error {
  override name = 'ModelShapeError';
}
