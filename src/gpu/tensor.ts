import type { GpuContext } from './context.ts';
import { requireLimit } from './context.ts';
import { createStorageBuffer } from './buffers.ts';
import { formatShape, type TensorShape } from '../model/shapes.ts';

/**
 * An activation on the GPU: channels-last (HWC) with channels padded to a multiple of 4, so kernels load vec4s of
 * channels. Padding channels always hold 0. Vectors (1×1) are the same layout: n values padded to a multiple of 4.
 */
export interface GpuTensor {
  label: string;
  shape: TensorShape;
  /** Number of vec4s per pixel: ⌈channels / 4⌉. */
  c4: number;
  /**
   * Images the buffer holds, one after another (image b at byte b · gpuTensorBytes(shape)), each in the layout above.
   * 1 outside a batched GpuModel.
   */
  batch: number;
  buffer: GPUBuffer;
}

export function vec4Count(n: number): number {
  return Math.ceil(n / 4);
}

export function gpuTensorBytes(shape: TensorShape): number {
  return shape.height * shape.width * vec4Count(shape.channels) * 16;
}

/** Fails with a message naming the tensor when it (all `batch` images of it) would not fit one binding. */
export function requireTensorLimits(context: GpuContext, label: string, shape: TensorShape, batch = 1): void {
  const bytes = gpuTensorBytes(shape) * batch;
  const what = `activation ${label} (${formatShape(shape)}${batch > 1 ? ` × ${batch} images` : ''})`;
  requireLimit(context, 'maxStorageBufferBindingSize', bytes, what);
  requireLimit(context, 'maxBufferSize', bytes, what);
}

export function createGpuTensor(context: GpuContext, label: string, shape: TensorShape): GpuTensor {
  requireTensorLimits(context, label, shape);
  return { label, shape, c4: vec4Count(shape.channels), batch: 1, buffer: createStorageBuffer(context, label, gpuTensorBytes(shape)) };
}

/** GPU layout → canonical CHW. */
export function paddedHwcToChw(data: Float32Array, shape: TensorShape): Float32Array {
  const { channels, height, width } = shape;
  const stride = vec4Count(channels) * 4;
  const out = new Float32Array(channels * height * width);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < height * width; p++) out[c * height * width + p] = data[p * stride + c];
  }
  return out;
}

/** Canonical CHW → GPU layout. */
export function chwToPaddedHwc(data: Float32Array, shape: TensorShape): Float32Array {
  const { channels, height, width } = shape;
  const stride = vec4Count(channels) * 4;
  const out = new Float32Array(height * width * stride);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < height * width; p++) out[p * stride + c] = data[c * height * width + p];
  }
  return out;
}
