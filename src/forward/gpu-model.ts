import { createStorageBuffer, readBuffers } from '../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../gpu/context.ts';
import type { GpuOp } from '../gpu/dispatch.ts';
import { timePasses } from '../gpu/pass-timer.ts';
import { chwToPaddedHwc, gpuTensorBytes, paddedHwcToChw, requireTensorLimits, vec4Count, type GpuTensor } from '../gpu/tensor.ts';
import { assertRgbaImage, type RgbaImage } from '../image/rgba-image.ts';
import { PreprocessOp } from '../kernels/preprocess.ts';
import { defaultKernelChoices, type KernelChoices } from '../ops/common/kernel-choices.ts';
import type { GraphNode } from '../graph/model.ts';
import { inputTensor, validateModel, type Graph, type Model } from '../graph/model.ts';
import { opOf } from '../ops/registry.ts';
import type { ResampleGeometry, ResizeFilter } from '../model/preprocess.ts';
import { elementCount, type TensorShape } from '../model/shapes.ts';
import { planTensorMemory, type TensorMemoryPlan } from './memory-plan.ts';

export { defaultKernelChoices, type KernelChoices };

export interface GpuModelOptions {
  kernels?: Partial<KernelChoices>;
  /** Called as weights are uploaded, with bytes done and bytes in all. */
  onUploadProgress?: (done: number, total: number) => void;
  /** Tensors to keep readable after a forward pass besides those the backtracking reads (the logits, say). */
  keep?: readonly string[];
  /**
   * Images every tensor holds (default 1): a forward pass runs them all at once (multi-crop, the faithfulness passes),
   * dense layers reading their weights once for all of them.
   */
  batch?: number;
  /**
   * Keep only the input, the output and `keep` readable, not what the backtracking reads: a model that is only scored
   * (Explainer.scoreMany's batched copy) shares more buffers.
   */
  scoresOnly?: boolean;
}

export interface ForwardResult {
  /** The output tensor: class probabilities when the model ends in softmax. */
  scores: Float32Array;
  /** Where the photo landed in the model input (null when a tensor was given directly). */
  geometry: ResampleGeometry | null;
  forwardMs: number;
}

function weightBytes(node: GraphNode): number {
  return 'weight' in node ? (node.weight.length + node.bias.length) * 4 : 0;
}

/**
 * A model resident on the GPU: weights uploaded once in the kernels' layouts, every node's dispatches recorded into one
 * compute pass in topological order. Tensors the backtracking reads keep their own buffers; the others share buffers
 * once their readers have run (see memory-plan.ts).
 */
export class GpuModel {
  private constructor(
    readonly context: GpuContext,
    readonly model: Model,
    readonly graph: Graph,
    /** Every tensor's GPU buffer; tensors not in `kept` may share theirs with others. */
    readonly tensors: ReadonlyMap<string, GpuTensor>,
    readonly memory: TensorMemoryPlan,
    /** One op per node, in node order. */
    readonly ops: GpuOp[],
    private readonly preprocess: PreprocessOp,
    private readonly owned: GPUBuffer[],
    /** What it was created with (withBatch makes another like it). */
    private readonly options: GpuModelOptions,
  ) {}

  static async create(context: GpuContext, model: Model, options: GpuModelOptions = {}): Promise<GpuModel> {
    const graph = validateModel(model);
    const batch = options.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`${model.name}: batch must be an integer ≥ 1 (got ${batch})`);
    const kernels = { ...defaultKernelChoices, ...options.kernels };
    const bindingLimit = Math.min(context.budget.maxStorageBufferBindingSize, context.budget.maxBufferSize);
    const memory = planTensorMemory(model, graph, options.keep ?? [], batch, !options.scoresOnly);
    const { tensors, scratch, owned } = await gpuStep(context, `allocating ${model.name}'s activations`, () => {
      for (const name of graph.tensors) requireTensorLimits(context, name, graph.shapes.get(name)!, batch);
      const slotBuffers = memory.slots.map((bytes, i) => createStorageBuffer(context, `${model.name} activations ${i}`, bytes));
      const tensors = new Map<string, GpuTensor>();
      for (const name of graph.tensors) {
        const shape = graph.shapes.get(name)!;
        tensors.set(name, { label: name, shape, c4: vec4Count(shape.channels), batch, buffer: slotBuffers[memory.slotOf.get(name)!] });
      }
      const requests = new Map<string, number>();
      for (const node of model.nodes) {
        const asked = opOf(node).forward.scratch?.(node, node.inputs.map((t) => tensors.get(t)!), tensors.get(node.output)!, kernels, bindingLimit) ?? {};
        for (const [name, bytes] of Object.entries(asked)) requests.set(name, Math.max(requests.get(name) ?? 0, bytes));
      }
      const scratch = new Map([...requests].map(([name, bytes]) => [name, createStorageBuffer(context, name, bytes)]));
      return { tensors, scratch, owned: [...slotBuffers, ...scratch.values()] };
    });
    // Every node's op is created at once, in node order: their pipelines compile one after another off the main thread
    // (Dawn compiles asynchronous pipelines in order) while the ops whose pipelines are ready upload their weights.
    const totalBytes = model.nodes.reduce((sum, n) => sum + weightBytes(n), 0);
    let doneBytes = 0;
    const pending: Promise<GpuOp>[] = model.nodes.map(async (node) => {
      const inputs = node.inputs.map((t) => tensors.get(t)!);
      const op = await opOf(node).forward.create(context, node, inputs, tensors.get(node.output)!, { kernels, scratch, bindingLimit });
      if (weightBytes(node) > 0) {
        doneBytes += weightBytes(node);
        options.onUploadProgress?.(doneBytes, totalBytes);
      }
      return op;
    });
    const preprocessPending = PreprocessOp.create(context, model.preprocess, tensors.get(inputTensor)!);
    const settled = await Promise.allSettled([...pending, preprocessPending]);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      settled.forEach((s) => s.status === 'fulfilled' && s.value.destroy());
      owned.forEach((b) => b.destroy());
      throw failed.reason;
    }
    const ops = settled.slice(0, -1).map((s) => (s as PromiseFulfilledResult<GpuOp>).value);
    const preprocess = (settled[settled.length - 1] as PromiseFulfilledResult<PreprocessOp>).value;
    return new GpuModel(context, model, graph, tensors, memory, ops, preprocess, owned, options);
  }

  /**
   * Another GpuModel of the same network, kernel choices and preprocessing holding `batch` images, its weights
   * uploaded again. `keep: 'same'` keeps every tensor this one keeps, so its images can be copied into this one
   * (copyImageInto) for backtracking; `'output'` keeps only the input and the output, for scoring.
   */
  withBatch(batch: number, keep: 'same' | 'output'): Promise<GpuModel> {
    const { kernels } = this.options;
    const model = { ...this.model, preprocess: { ...this.model.preprocess } };
    return keep === 'same'
      ? GpuModel.create(this.context, model, { kernels, batch, keep: [...this.memory.kept] })
      : GpuModel.create(this.context, model, { kernels, batch, scoresOnly: true });
  }

  tensor(name: string): GpuTensor {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new Error(`${this.model.name} has no tensor "${name}"`);
    return tensor;
  }

  /** Images every tensor holds (GpuModelOptions.batch). */
  get batch(): number {
    return this.tensor(inputTensor).batch;
  }

  /** Whether a tensor's values stay readable after the forward pass (the others' buffers are reused). */
  isKept(name: string): boolean {
    return this.memory.kept.has(name);
  }

  /**
   * Preprocesses a photo (placed by `geometry` when given) and runs every node; reads back only the scores. A batched
   * model takes the photo as image 0 (the other images are computed too, from whatever their slots hold).
   */
  async run(photo: RgbaImage, geometry?: ResampleGeometry): Promise<ForwardResult> {
    assertRgbaImage(photo);
    const start = performance.now();
    const placed = await this.encodeAndSubmit(() => this.preprocess.upload(photo, geometry), true);
    const [scores] = await this.readScores(1);
    return { scores, geometry: placed, forwardMs: performance.now() - start };
  }

  /**
   * One forward pass over crops of a photo: crop i (placed by `geometries[i]`) preprocessed into image i, then every
   * node once for the whole batch. At most `batch` crops; slots past them are computed from what they hold. Each
   * result's forwardMs is the whole call's.
   */
  async runMany(photo: RgbaImage, geometries: readonly ResampleGeometry[]): Promise<ForwardResult[]> {
    assertRgbaImage(photo);
    this.requireImages(geometries.length, 'crops');
    const start = performance.now();
    // The photo is uploaded once; one submit per crop, as each crop's tap tables and uniforms replace the previous
    // crop's (a submit keeps those it was recorded with).
    for (const [image, geometry] of geometries.entries()) {
      await gpuStep(this.context, `${this.model.name} preprocessing crop ${image}`, () => {
        if (image === 0) this.preprocess.upload(photo, geometry, image);
        else this.preprocess.place(geometry, image);
        const encoder = this.context.device.createCommandEncoder({ label: `preprocess ${image}` });
        const pass = encoder.beginComputePass({ label: `preprocess ${image}` });
        this.preprocess.encode(pass);
        pass.end();
        this.context.device.queue.submit([encoder.finish()]);
      });
    }
    await this.encodeAndSubmit(() => undefined, false);
    const scores = await this.readScores(geometries.length);
    const forwardMs = performance.now() - start;
    return scores.map((s, i) => ({ scores: s, geometry: geometries[i], forwardMs }));
  }

  /** Samples photos with another resize filter from the next run on (the model's recipe says which from then on). */
  setResizeFilter(resizeFilter: ResizeFilter): void {
    this.model.preprocess = { ...this.model.preprocess, resizeFilter };
    this.preprocess.setPreprocess(this.model.preprocess);
  }

  /** Runs every node on an input tensor given in CHW (tests and benchmarks that bypass the photo); image 0 of a batch. */
  async runTensor(input: Float32Array): Promise<ForwardResult> {
    const start = performance.now();
    const shape = this.checkedInputShape([input], false);
    const tensor = chwToPaddedHwc(input, shape);
    await this.encodeAndSubmit(() => this.context.device.queue.writeBuffer(this.tensor(inputTensor).buffer, 0, tensor), false);
    const [scores] = await this.readScores(1);
    return { scores, geometry: null, forwardMs: performance.now() - start };
  }

  /** One forward pass over input tensors (CHW each) as images 0 … n − 1 of the batch; the scores of each. */
  async runTensors(inputs: readonly Float32Array[]): Promise<ForwardResult[]> {
    this.requireImages(inputs.length, 'input tensors');
    const start = performance.now();
    const shape = this.checkedInputShape(inputs);
    const bytes = gpuTensorBytes(shape);
    await this.encodeAndSubmit(() => {
      inputs.forEach((input, i) => this.context.device.queue.writeBuffer(this.tensor(inputTensor).buffer, i * bytes, chwToPaddedHwc(input, shape)));
    }, false);
    const scores = await this.readScores(inputs.length);
    const forwardMs = performance.now() - start;
    return scores.map((s) => ({ scores: s, geometry: null, forwardMs }));
  }

  /** The input tensor's shape, after checking that every CHW input has its size (naming the input by index when `numbered`). */
  private checkedInputShape(inputs: readonly Float32Array[], numbered = true): TensorShape {
    const shape = this.graph.shapes.get(inputTensor)!;
    inputs.forEach((input, i) => {
      if (input.length !== elementCount(shape)) {
        throw new Error(`input tensor ${numbered ? `${i} ` : ''}has ${input.length} values, the model needs ${elementCount(shape)}`);
      }
    });
    return shape;
  }

  private requireImages(count: number, what: string): void {
    if (count < 1 || count > this.batch) throw new Error(`${this.model.name}: ${count} ${what} for a batch of ${this.batch}`);
  }

  /**
   * The scores of many input tensors (CHW, as runTensor takes): the inputs uploaded together, every forward pass
   * recorded into one command buffer (each pass's `batch` inputs copied into the input tensor, their scores copied out
   * to a results buffer), one readback per chunk. Chunks keep the staging buffer under `maxChunkBytes`. The
   * activations left on the GPU afterwards are the last pass's.
   */
  async scoreMany(inputs: readonly Float32Array[], maxChunkBytes = 64 * 2 ** 20): Promise<Float32Array[]> {
    const shape = this.checkedInputShape(inputs);
    const inputBytes = gpuTensorBytes(shape);
    const scores = this.tensor(this.model.output);
    const scoreBytes = scores.shape.channels * 4;
    const scoreStride = gpuTensorBytes(scores.shape);
    const { batch } = this;
    const limit = Math.min(this.context.budget.maxBufferSize, this.context.budget.maxStorageBufferBindingSize, maxChunkBytes);
    const perChunk = Math.max(1, Math.floor(limit / inputBytes));
    const out: Float32Array[] = [];
    for (let start = 0; start < inputs.length; start += perChunk) {
      const chunk = inputs.slice(start, start + perChunk);
      const staging = createStorageBuffer(this.context, `${this.model.name} batched inputs`, chunk.length * inputBytes);
      const results = createStorageBuffer(this.context, `${this.model.name} batched scores`, chunk.length * scoreBytes);
      try {
        await gpuStep(this.context, `${this.model.name} batched forward passes`, () => {
          const { device } = this.context;
          chunk.forEach((input, i) => {
            const hwc = chwToPaddedHwc(input, shape);
            device.queue.writeBuffer(staging, i * inputBytes, hwc.buffer, hwc.byteOffset, hwc.byteLength);
          });
          const encoder = device.createCommandEncoder({ label: 'batched forward' });
          for (let first = 0; first < chunk.length; first += batch) {
            const images = Math.min(batch, chunk.length - first);
            encoder.copyBufferToBuffer(staging, first * inputBytes, this.tensor(inputTensor).buffer, 0, images * inputBytes);
            const pass = encoder.beginComputePass({ label: `forward ${start + first}` });
            for (const op of this.ops) op.encode(pass);
            pass.end();
            for (let i = 0; i < images; i++) encoder.copyBufferToBuffer(scores.buffer, i * scoreStride, results, (first + i) * scoreBytes, scoreBytes);
          }
          device.queue.submit([encoder.finish()]);
        });
        const [data] = await readBuffers(this.context, 'reading batched scores', [{ buffer: results, size: chunk.length * scoreBytes }]);
        const all = new Float32Array(data);
        chunk.forEach((_, i) => out.push(all.slice(i * scores.shape.channels, (i + 1) * scores.shape.channels)));
      } finally {
        staging.destroy();
        results.destroy();
      }
    }
    return out;
  }

  /** Uploads the input (`prepare`) and records and submits every node, in one error scope. */
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

  /** The scores of images 0 … images − 1. */
  private async readScores(images: number): Promise<Float32Array[]> {
    const scores = this.tensor(this.model.output);
    const { channels } = scores.shape;
    const stride = gpuTensorBytes(scores.shape) / 4;
    const [data] = await readBuffers(this.context, 'reading scores', [{ buffer: scores.buffer, size: ((images - 1) * stride + channels) * 4 }]);
    const all = new Float32Array(data);
    return Array.from({ length: images }, (_, i) => all.slice(i * stride, i * stride + channels));
  }

  /**
   * GPU time of each node on the input tensor currently in the model (run or runTensor first): the benchmark's
   * per-layer numbers.
   */
  profileLayers(): ReturnType<typeof timePasses> {
    return timePasses(
      this.context,
      this.ops.map((op, i) => ({ label: this.model.nodes[i].name, encode: (pass: GPUComputePassEncoder) => op.encode(pass) })),
    );
  }

  /** Kept tensors of one image of the batch in canonical CHW layout, by name; every kept tensor when no names are given. */
  async readActivations(names: readonly string[] = [...this.memory.kept], image = 0): Promise<Map<string, Float32Array>> {
    this.requireImage(image);
    for (const name of names) {
      if (!this.isKept(name)) throw new Error(`${this.model.name}: tensor "${name}" is not kept after the forward pass`);
    }
    const tensors = names.map((name) => this.tensor(name));
    const data = await readBuffers(
      this.context,
      'reading activations',
      tensors.map((t) => ({ buffer: t.buffer, offset: image * gpuTensorBytes(t.shape), size: gpuTensorBytes(t.shape) })),
    );
    return new Map(data.map((d, i) => [names[i], paddedHwcToChw(new Float32Array(d), tensors[i].shape)]));
  }

  private requireImage(image: number): void {
    if (!Number.isInteger(image) || image < 0 || image >= this.batch) {
      throw new Error(`${this.model.name}: image ${image} is outside the batch of ${this.batch}`);
    }
  }

  /**
   * Copies image `image`'s slice of every tensor `target` keeps into target's buffers (one submit), so that what is
   * bound to `target` (backtracking, gradients, readActivations) sees that image's forward pass. `target` is a
   * batch-1 GpuModel of the same graph whose kept tensors this model keeps too.
   */
  copyImageInto(image: number, target: GpuModel): void {
    this.requireImage(image);
    const what = `copying image ${image} of ${this.model.name} into ${target.model.name}`;
    if (target.batch !== 1) throw new Error(`${what}: the target has a batch of ${target.batch}, not 1`);
    if (target.context !== this.context) throw new Error(`${what}: the target is on another GPU context`);
    const layout = (g: Graph) => JSON.stringify(g.tensors.map((t) => [t, g.shapes.get(t)]));
    if (layout(target.graph) !== layout(this.graph)) throw new Error(`${what}: the two models' graphs differ`);
    const missing = [...target.memory.kept].filter((t) => !this.isKept(t));
    if (missing.length > 0) throw new Error(`${what}: the target keeps ${missing.join(', ')}, which this model does not keep`);
    const encoder = this.context.device.createCommandEncoder({ label: what });
    for (const name of target.memory.kept) {
      const bytes = gpuTensorBytes(this.tensor(name).shape);
      encoder.copyBufferToBuffer(this.tensor(name).buffer, image * bytes, target.tensor(name).buffer, 0, bytes);
    }
    this.context.device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.ops.forEach((op) => op.destroy());
    this.preprocess.destroy();
    this.owned.forEach((b) => b.destroy());
  }
}
