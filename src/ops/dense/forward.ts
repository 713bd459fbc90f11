import { createFilledBuffer } from '../../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../../gpu/context.ts';
import type { DenseLayer } from './spec.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { activationCode } from '../common/activation.ts';
import type { DenseKernel } from '../common/kernel-choices.ts';
import { GpuError } from '../../gpu/errors.ts';
import type { ForwardHost } from '../common/op-definition.ts';
import { Dispatch, type GpuOp } from '../../gpu/dispatch.ts';
import { splitRows, type RowChunk } from '../../gpu/split-rows.ts';
import { DenseGemmOp, denseGemmApplies } from './gemm.ts';

/** Rows [first, first + count) of a dense weight, each zero-padded to a multiple of 4 inputs. */
export function denseGpuWeights(layer: DenseLayer, chunk: RowChunk): Float32Array {
  const stride = Math.ceil(layer.inFeatures / 4) * 4;
  // Rows that need no padding are already laid out right: no copy (VGG's fc6 alone is 411 MB).
  if (stride === layer.inFeatures) return layer.weight.subarray(chunk.first * stride, (chunk.first + chunk.count) * stride);
  const out = new Float32Array(chunk.count * stride);
  for (let r = 0; r < chunk.count; r++) {
    out.set(layer.weight.subarray((chunk.first + r) * layer.inFeatures, (chunk.first + r + 1) * layer.inFeatures), r * stride);
  }
  return out;
}

/** The row chunks of a dense layer's weights under the context's budget (shared with the backtracking). */
export function denseWeightChunks(context: GpuContext, layer: DenseLayer): RowChunk[] {
  return splitRows(context, `${layer.name} weights`, layer.outFeatures, Math.ceil(layer.inFeatures / 4) * 16);
}

export interface DenseWeightBuffers {
  chunks: (RowChunk & { buffer: GPUBuffer })[];
  bias: GPUBuffer;
}

export function uploadDenseWeights(context: GpuContext, layer: DenseLayer): DenseWeightBuffers {
  return {
    chunks: denseWeightChunks(context, layer).map((chunk) => ({
      ...chunk,
      buffer: createFilledBuffer(context, `${layer.name}.weight[${chunk.first}]`, denseGpuWeights(layer, chunk)),
    })),
    bias: createFilledBuffer(context, `${layer.name}.bias`, layer.bias),
  };
}

const denseShaders: Record<DenseKernel, string> = {
  invocation: 'ops/dense/dense',
  workgroup: 'ops/dense/dense_workgroup',
  subgroup: 'ops/dense/dense_subgroup',
};

/** Invocations per row of dense_subgroup.wgsl. */
const subgroupThreads = 32;

/** Images one dispatch of dense_batch.wgsl takes (its accumulators are unrolled; more images, more dispatches). */
const imagesPerDispatch = 8;

interface DenseDispatchParams {
  layer: DenseLayer;
  input: GpuTensor;
  output: GpuTensor;
  chunk: RowChunk & { buffer: GPUBuffer };
  bias: GPUBuffer;
}

function chunkParams({ layer, input, output, chunk }: DenseDispatchParams): Record<string, number> {
  return {
    inC4: input.c4,
    rows: chunk.count,
    rowOffset: chunk.first,
    activation: activationCode(layer.activation),
    padFrom: layer.outFeatures,
    padTo: chunk.first + chunk.count === layer.outFeatures ? output.c4 * 4 : layer.outFeatures,
  };
}

/** One chunk's dispatch for a single image, by the chosen kernel. */
function singleImageDispatch(context: GpuContext, kernel: DenseKernel, p: DenseDispatchParams): Promise<Dispatch> {
  return Dispatch.create(
    context,
    { shader: denseShaders[kernel], defines: kernel === 'subgroup' ? { THREADS: subgroupThreads } : undefined },
    chunkParams(p),
    { input: p.input.buffer, weights: p.chunk.buffer, bias: p.bias, output: p.output.buffer },
    // workgroup and subgroup: a workgroup per row (the grid counts invocations).
    [kernel === 'invocation' ? p.chunk.count : p.chunk.count * (kernel === 'subgroup' ? subgroupThreads : 64)],
  );
}

/** One chunk's dispatches for a batch: dense_batch.wgsl, up to `imagesPerDispatch` images each reading the rows once. */
function batchDispatches(context: GpuContext, p: DenseDispatchParams): Promise<Dispatch>[] {
  const dispatches: Promise<Dispatch>[] = [];
  for (let firstImage = 0; firstImage < p.output.batch; firstImage += imagesPerDispatch) {
    const images = Math.min(imagesPerDispatch, p.output.batch - firstImage);
    dispatches.push(
      Dispatch.create(
        context,
        { shader: 'ops/dense/dense_batch', defines: { IMAGES: images } },
        { ...chunkParams(p), firstImage, outStride: p.output.c4 * 4 },
        { input: p.input.buffer, weights: p.chunk.buffer, bias: p.bias, output: p.output.buffer },
        [p.chunk.count],
      ),
    );
  }
  return dispatches;
}

/**
 * One dispatch per weight chunk (and group of images); the weights stay on the GPU for the backtracking to read. A
 * batch whose weights do not fit the GEMM (see gemm.ts) runs dense_batch.wgsl whatever the kernel choice: it reads
 * each weight once for all images, which the per-image variants cannot.
 */
export class DenseOp implements GpuOp {
  private constructor(
    readonly weights: DenseWeightBuffers,
    private readonly dispatches: Dispatch[],
    readonly kernel: DenseKernel,
  ) {}

  static async create(context: GpuContext, layer: DenseLayer, input: GpuTensor, output: GpuTensor, kernel: DenseKernel = 'invocation'): Promise<DenseOp> {
    if (!Object.hasOwn(denseShaders, kernel)) throw new GpuError(`${layer.name}: unknown dense kernel "${String(kernel)}" (use one of ${Object.keys(denseShaders).join(', ')})`);
    if (kernel === 'subgroup' && !context.hasSubgroups) {
      throw new GpuError(
        `${layer.name}: the dense kernel "subgroup" needs the WebGPU feature "subgroups", which ${context.adapter.name} does not offer; ` +
          'use "invocation" or "workgroup" (or run `fixations tune` again)',
      );
    }
    const weights = await gpuStep(context, `uploading ${layer.name}`, () => uploadDenseWeights(context, layer));
    const dispatches = await Promise.all(
      weights.chunks.flatMap((chunk) => {
        const p = { layer, input, output, chunk, bias: weights.bias };
        return output.batch === 1 ? [singleImageDispatch(context, kernel, p)] : batchDispatches(context, p);
      }),
    );
    return new DenseOp(weights, dispatches, kernel);
  }

  encode(pass: GPUComputePassEncoder): void {
    this.dispatches.forEach((d) => d.encode(pass));
  }

  destroy(): void {
    this.dispatches.forEach((d) => d.destroy());
    this.weights.chunks.forEach((c) => c.buffer.destroy());
    this.weights.bias.destroy();
  }
}

export const denseForward: ForwardHost<DenseLayer> = {
  create: (context, layer, [input], output, env) =>
    denseGemmApplies(layer, output.batch, env.bindingLimit)
      ? DenseGemmOp.create(context, layer, input, output)
      : DenseOp.create(context, layer, input, output, env.kernels.dense),
};
