import type { GpuContext } from '../gpu/context.ts';
import type { MaxPoolSpec } from '../model/layers.ts';
import type { GpuTensor } from '../gpu/tensor.ts';
import { Dispatch } from '../gpu/dispatch.ts';

export function createMaxPoolOp(context: GpuContext, layer: MaxPoolSpec, input: GpuTensor, output: GpuTensor): Promise<Dispatch> {
  const { width, height } = output.shape;
  return Dispatch.create(
    context,
    { shader: 'ops/maxpool/maxpool' },
    {
      inWidth: input.shape.width,
      inHeight: input.shape.height,
      c4: input.c4,
      outWidth: width,
      outHeight: height,
      size: layer.size,
      stride: layer.stride,
    },
    { input: input.buffer, output: output.buffer },
    [width * height * output.c4],
  );
}

export function createGlobalAvgPoolOp(context: GpuContext, input: GpuTensor, output: GpuTensor): Promise<Dispatch> {
  return Dispatch.create(
    context,
    { shader: 'ops/global-avg-pool/global_avg_pool' },
    { pixels: input.shape.width * input.shape.height, c4: input.c4 },
    { input: input.buffer, output: output.buffer },
    [input.c4],
  );
}

export function createFlattenOp(context: GpuContext, input: GpuTensor, output: GpuTensor): Promise<Dispatch> {
  const { channels, width, height } = input.shape;
  return Dispatch.create(
    context,
    { shader: 'ops/flatten/flatten' },
    { width, height, channels, paddedChannels: input.c4 * 4 },
    { input: input.buffer, output: output.buffer },
    [channels * width * height],
  );
}

export function createSoftmaxOp(context: GpuContext, input: GpuTensor, output: GpuTensor): Promise<Dispatch> {
  return Dispatch.create(
    context,
    { shader: 'ops/softmax/softmax' },
    { count: input.shape.channels },
    { input: input.buffer, output: output.buffer },
    [1],
  );
}
