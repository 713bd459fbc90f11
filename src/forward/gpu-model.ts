import { createStorageBuffer, readBuffers } from '../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../gpu/context.ts';
import { timePasses } from '../gpu/pass-timer.ts';
import { assertRgbaImage, type RgbaImage } from '../image/rgba-image.ts';
import { Conv2dOp, defaultConv2dTile, type Conv2dTile } from '../kernels/conv2d.ts';
import { DenseOp, type DenseKernel } from '../kernels/dense.ts';
import { Conv2dWinogradOp, winogradApplies, winogradWorkspaceBytes, type WinogradWorkspace } from '../kernels/conv2d-winograd.ts';
import { Conv2dPointwiseOp, pointwiseApplies } from '../kernels/conv2d-pointwise.ts';
import { Conv2dIm2colOp, im2colApplies, im2colBytes } from '../kernels/conv2d-im2col.ts';
import type { GemmTile } from '../kernels/gemm.ts';
import type { GpuOp } from '../kernels/dispatch.ts';
import { createFlattenOp, createGlobalAvgPoolOp, createMaxPoolOp, createSoftmaxOp } from '../kernels/pooling.ts';
import { PreprocessOp } from '../kernels/preprocess.ts';
import type { Layer } from '../model/layers.ts';
import { validateModel, type Model } from '../model/model.ts';
import type { ResampleGeometry, ResizeFilter } from '../model/preprocess.ts';
import { elementCount, type TensorShape } from '../model/shapes.ts';
import { chwToPaddedHwc, createGpuTensor, paddedHwcToChw, type GpuTensor } from './gpu-tensor.ts';

/** Which convolution kernels run, and their register tiles: what the benchmark tunes per adapter. */
export interface KernelChoices {
  /** Tile of the direct convolution (convolutions that are neither Winograd nor pointwise). */
  conv2dTile: Conv2dTile;
  /** Run 3×3 stride-1 convolutions as Winograd F(2×2, 3×3) where its workspace fits the binding budget. */
  winograd: boolean;
  /** Run 1×1 stride-1 convolutions as a matrix product over pixels. */
  pointwise: boolean;
  /** Run convolutions over at most 4 input channels (an RGB first layer) as im2col + matrix product. */
  im2col: boolean;
  /** Tile of the GEMM behind Winograd and pointwise convolutions. */
  gemmTile: GemmTile;
  dense: DenseKernel;
}

export const defaultKernelChoices: KernelChoices = {
  conv2dTile: defaultConv2dTile,
  winograd: true,
  pointwise: true,
  im2col: true,
  gemmTile: { tileM: 8, tileN4: 4, threads: 64 },
  dense: 'invocation',
};

export interface GpuModelOptions {
  kernels?: Partial<KernelChoices>;
  /** Called as weights are uploaded, with bytes done and bytes in all. */
  onUploadProgress?: (done: number, total: number) => void;
}

export interface ForwardResult {
  /** The last layer's output: class probabilities when the model ends in softmax. */
  scores: Float32Array;
  /** Where the photo landed in the model input (null when a tensor was given directly). */
  geometry: ResampleGeometry | null;
  forwardMs: number;
}

/**
 * A model resident on the GPU: weights uploaded once in the kernels' layouts, one kept activation buffer per layer
 * (the backtracking reads them), and every layer's dispatch recorded into one compute pass.
 */
export class GpuModel {
  private constructor(
    readonly context: GpuContext,
    readonly model: Model,
    readonly shapes: TensorShape[],
    /** Index 0 is the preprocessed input, index i + 1 the output of layer i. */
    readonly activations: GpuTensor[],
    readonly ops: GpuOp[],
    private readonly preprocess: PreprocessOp,
    private readonly workspace: Workspace,
  ) {}

  static async create(context: GpuContext, model: Model, options: GpuModelOptions = {}): Promise<GpuModel> {
    const shapes = validateModel(model);
    const kernels = { ...defaultKernelChoices, ...options.kernels };
    const { activations, workspace } = await gpuStep(context, `allocating ${model.name}'s activations`, () => {
      const activations = shapes.map((shape, i) => createGpuTensor(context, i === 0 ? 'input' : model.layers[i - 1].name, shape));
      return { activations, workspace: winogradWorkspace(context, model.layers, activations, kernels) };
    });
    const ops: GpuOp[] = [];
    const release = () => {
      ops.forEach((op) => op.destroy());
      activations.forEach((t) => t.buffer.destroy());
      workspace.buffers?.transformed.destroy();
      workspace.buffers?.products.destroy();
    };
    try {
      const totalBytes = model.layers.reduce((sum, l) => sum + ('weight' in l ? (l.weight.length + l.bias.length) * 4 : 0), 0);
      let doneBytes = 0;
      for (const [i, layer] of model.layers.entries()) {
        ops.push(await createLayerOp(context, layer, activations[i], activations[i + 1], kernels, workspace, i));
        if ('weight' in layer) {
          doneBytes += (layer.weight.length + layer.bias.length) * 4;
          options.onUploadProgress?.(doneBytes, totalBytes);
        }
      }
      const preprocess = await PreprocessOp.create(context, model.preprocess, activations[0]);
      return new GpuModel(context, model, shapes, activations, ops, preprocess, workspace);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Preprocesses a photo (placed by `geometry` when given) and runs every layer; reads back only the scores. */
  async run(photo: RgbaImage, geometry?: ResampleGeometry): Promise<ForwardResult> {
    assertRgbaImage(photo);
    const start = performance.now();
    const placed = await this.encodeAndSubmit(() => this.preprocess.upload(photo, geometry), true);
    const scores = await this.readScores();
    return { scores, geometry: placed, forwardMs: performance.now() - start };
  }

  /** Samples photos with another resize filter from the next run on (the model's recipe says which from then on). */
  setResizeFilter(resizeFilter: ResizeFilter): void {
    this.model.preprocess = { ...this.model.preprocess, resizeFilter };
    this.preprocess.setPreprocess(this.model.preprocess);
  }

  /** Runs every layer on an input tensor given in CHW (tests and benchmarks that bypass the photo). */
  async runTensor(input: Float32Array): Promise<ForwardResult> {
    const start = performance.now();
    if (input.length !== elementCount(this.shapes[0])) {
      throw new Error(`input tensor has ${input.length} values, the model needs ${elementCount(this.shapes[0])}`);
    }
    const tensor = chwToPaddedHwc(input, this.shapes[0]);
    await this.encodeAndSubmit(() => this.context.device.queue.writeBuffer(this.activations[0].buffer, 0, tensor), false);
    const scores = await this.readScores();
    return { scores, geometry: null, forwardMs: performance.now() - start };
  }

  /** Uploads the input (`prepare`) and records and submits every layer, in one error scope. */
  private encodeAndSubmit<T>(prepare: () => T, withPreprocess: boolean): Promise<T> {
    return gpuStep(this.context, `${this.model.name} forward pass`, () => {
      const prepared = prepare();
      const encoder = this.context.device.createCommandEncoder({ label: 'forward' });
      const pass = encoder.beginComputePass({ label: 'forward' });
      if (withPreprocess) this.preprocess.encode(pass);
      for (const op of this.ops) op.encode(pass);
      pass.end();
      this.context.device.queue.submit([encoder.finish()]);
      return prepared;
    });
  }

  private async readScores(): Promise<Float32Array> {
    const last = this.activations[this.activations.length - 1];
    const [data] = await readBuffers(this.context, 'reading scores', [{ buffer: last.buffer, size: last.shape.channels * 4 }]);
    return new Float32Array(data);
  }

  /**
   * GPU time of each layer on the input tensor currently in the model (run or runTensor first): the benchmark's
   * per-layer numbers.
   */
  profileLayers(): ReturnType<typeof timePasses> {
    return timePasses(
      this.context,
      this.ops.map((op, i) => ({ label: this.model.layers[i].name, encode: (pass: GPUComputePassEncoder) => op.encode(pass) })),
    );
  }

  /** Activations in canonical CHW layout; all of them when no indices are given. */
  async readActivations(indices = this.activations.map((_, i) => i)): Promise<Float32Array[]> {
    const tensors = indices.map((i) => this.activations[i]);
    const data = await readBuffers(
      this.context,
      'reading activations',
      tensors.map((t) => ({ buffer: t.buffer, size: t.buffer.size })),
    );
    return data.map((d, i) => paddedHwcToChw(new Float32Array(d), tensors[i].shape));
  }

  destroy(): void {
    this.ops.forEach((op) => op.destroy());
    this.preprocess.destroy();
    this.activations.forEach((t) => t.buffer.destroy());
    this.workspace.buffers?.transformed.destroy();
    this.workspace.buffers?.products.destroy();
  }
}

function bindingLimit(context: GpuContext): number {
  return Math.min(context.budget.maxStorageBufferBindingSize, context.budget.maxBufferSize);
}

/** GEMM weights are not split: a layer whose weights exceed one binding runs as a (split) direct convolution. */
function fitsOneBinding(context: GpuContext, layer: Layer & { kind: 'conv2d' }): boolean {
  return Math.ceil(layer.inChannels / 4) * 4 * Math.ceil(layer.outChannels / 16) * 16 * 4 <= bindingLimit(context);
}

/** Which conv layers run as Winograd, and the scratch they share (layers run one after another). */
interface Workspace {
  layers: Set<number>;
  buffers: WinogradWorkspace | null;
}

function winogradWorkspace(context: GpuContext, layers: Layer[], activations: GpuTensor[], kernels: KernelChoices): Workspace {
  const limit = Math.min(context.budget.maxStorageBufferBindingSize, context.budget.maxBufferSize);
  const chosen = new Set<number>();
  let transformed = 0;
  let products = 0;
  layers.forEach((layer, i) => {
    if (!kernels.winograd || layer.kind !== 'conv2d' || !winogradApplies(layer)) return;
    const bytes = winogradWorkspaceBytes(activations[i], activations[i + 1]);
    // Winograd weights are 16/9 of the direct ones and unsplit; too big for one binding falls back to direct.
    const weightBytes = 16 * Math.ceil(layer.inChannels / 4) * 4 * Math.ceil(layer.outChannels / 16) * 16 * 4;
    if (bytes.transformed > limit || bytes.products > limit || weightBytes > limit) return;
    chosen.add(i);
    transformed = Math.max(transformed, bytes.transformed);
    products = Math.max(products, bytes.products);
  });
  return {
    layers: chosen,
    buffers:
      chosen.size === 0
        ? null
        : {
            transformed: createStorageBuffer(context, 'winograd inputs', transformed),
            products: createStorageBuffer(context, 'winograd products', products),
          },
  };
}

function createLayerOp(
  context: GpuContext,
  layer: Layer,
  input: GpuTensor,
  output: GpuTensor,
  kernels: KernelChoices,
  workspace: Workspace,
  index: number,
): Promise<GpuOp> {
  switch (layer.kind) {
    case 'conv2d':
      if (workspace.layers.has(index)) return Conv2dWinogradOp.create(context, layer, input, output, workspace.buffers!, kernels.gemmTile);
      if (kernels.pointwise && pointwiseApplies(layer) && fitsOneBinding(context, layer)) {
        return Conv2dPointwiseOp.create(context, layer, input, output, kernels.gemmTile);
      }
      if (kernels.im2col && im2colApplies(layer) && im2colBytes(layer, output.shape) <= bindingLimit(context)) {
        return Conv2dIm2colOp.create(context, layer, input, output, kernels.gemmTile);
      }
      return Conv2dOp.create(context, layer, input, output, kernels.conv2dTile);
    case 'maxpool':
      return createMaxPoolOp(context, layer, input, output);
    case 'globalAvgPool':
      return createGlobalAvgPoolOp(context, input, output);
    case 'flatten':
      return createFlattenOp(context, input, output);
    case 'dense':
      return DenseOp.create(context, layer, input, output, kernels.dense);
    case 'softmax':
      return createSoftmaxOp(context, input, output);
  }
}
