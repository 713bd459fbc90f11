import { createFilledBuffer, createStorageBuffer, readBuffers } from '../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../gpu/context.ts';
import { timePasses } from '../gpu/pass-timer.ts';
import { Kernel } from '../gpu/kernel.ts';
import type { GpuModel } from '../forward/gpu-model.ts';
import { foldedGrid } from '../ops/conv2d/gemm.ts';
import { splitRows, type RowChunk } from '../gpu/split-rows.ts';
import { DenseOp } from '../ops/dense/forward.ts';
import type { Conv2dLayer, DenseLayer, Layer, MaxPoolSpec } from '../model/layers.ts';
import { elementCount, type TensorShape } from '../model/shapes.ts';
import { selectionFor, type Rule, type Selection } from './rules.ts';
import type { FixationTree, TreeLevel } from './tree.ts';

/** Bitmap words a compaction block covers: 64 invocations × 16 (compact_count.wgsl, compact_scatter.wgsl). */
const wordsPerBlock = 1024;
/** A memory vector entry: node, parent, parent count, child count (struct MemoryNode in the WGSL). */
const memoryNodeWords = 4;
/** Per memory vector in `vectorSizes`: indirect dispatch x, y, z, then the size. */
const vectorSizeWords = 4;
/** vec4s of inputs one invocation of backtrack_dense_inputs.wgsl owns: fewer loop trips over the memory vector. */
const denseInputVec4s = 4;

/** A memory vector on the GPU, sized for the most nodes it can ever hold. */
interface MemoryVectorBuffer {
  index: number;
  capacity: number;
  buffer: GPUBuffer;
}

/**
 * Conv weights for the backtracking, [outChannel][ky][kx][inChannel padded to 4]: a node's weights are contiguous and
 * read four input channels at a time, whatever kernel ran the forward pass. Layers too big for one binding are split
 * by output channels.
 */
export function backtrackConvWeights(layer: Conv2dLayer, first: number, count: number): Float32Array {
  const { kernel: k, inChannels } = layer;
  const inPadded = Math.ceil(inChannels / 4) * 4;
  const out = new Float32Array(count * k * k * inPadded);
  for (let o = 0; o < count; o++) {
    for (let ic = 0; ic < inChannels; ic++) {
      for (let kk = 0; kk < k * k; kk++) out[((o * k * k) + kk) * inPadded + ic] = layer.weight[((first + o) * inChannels + ic) * k * k + kk];
    }
  }
  return out;
}

function uploadConvWeights(context: GpuContext, layers: Layer[]): Map<number, (RowChunk & { buffer: GPUBuffer })[]> {
  const weights = new Map<number, (RowChunk & { buffer: GPUBuffer })[]>();
  layers.forEach((layer, index) => {
    if (layer.kind !== 'conv2d') return;
    const rowBytes = layer.kernel * layer.kernel * Math.ceil(layer.inChannels / 4) * 16;
    const chunks = splitRows(context, `${layer.name} weights (backtracking)`, layer.outChannels, rowBytes);
    weights.set(
      index,
      chunks.map((chunk) => ({
        ...chunk,
        buffer: createFilledBuffer(context, `${layer.name}.weight (backtracking)[${chunk.first}]`, backtrackConvWeights(layer, chunk.first, chunk.count)),
      })),
    );
  });
  return weights;
}

/** What one layer's backtracking records into the pass: its selection, then the compaction into the layer below. */
interface LayerStep {
  layer: string;
  encode(pass: GPUComputePassEncoder): void;
}

/**
 * Backtracking on the GPU, after a forward pass of `GpuModel` and from its kept activations. Each layer is one selection
 * kernel (one invocation per memory-vector node, indirect dispatch from the GPU-side count) and a deterministic
 * compaction into the next memory vector; nothing is read back until the whole tree is done.
 */
export class GpuBacktracker {
  private readonly steps = new Map<Rule, LayerStep[]>();

  private constructor(
    private readonly context: GpuContext,
    private readonly gpuModel: GpuModel,
    /** Memory vector buffers of each activation; identity layers (flatten, softmax) share their input's. */
    private readonly levelBuffers: MemoryVectorBuffer[],
    private readonly vectors: MemoryVectorBuffer[],
    /** Per memory vector: its indirect dispatch arguments and its size, written by the GPU. */
    private readonly vectorSizes: GPUBuffer,
    private readonly scratch: { selected: GPUBuffer; selections: GPUBuffer; blockTotals: GPUBuffer },
    private readonly kernels: Record<'dense' | 'denseInputs' | 'maxpool' | 'globalAvgPool' | 'count' | 'scatter', Kernel>,
    /** backtrack_conv2d by kernel size (its taps are unrolled). */
    private readonly convKernels: Map<number, Kernel>,
    /** Canonical (OIHW) conv weights by layer index, in chunks of output channels. */
    private readonly convWeights: Map<number, (RowChunk & { buffer: GPUBuffer })[]>,
    private readonly owned: GPUBuffer[],
  ) {}

  static async create(gpuModel: GpuModel): Promise<GpuBacktracker> {
    const { context, model, shapes } = gpuModel;
    const top = model.layers.length;
    const names = ['dense', 'denseInputs', 'maxpool', 'globalAvgPool', 'count', 'scatter'] as const;
    const shaders = ['ops/dense/backtrack_dense', 'ops/dense/backtrack_dense_inputs', 'ops/maxpool/backtrack_maxpool', 'ops/global-avg-pool/backtrack_global_avg_pool', 'compact_count', 'compact_scatter'];
    const defines = (shader: string) => (shader === 'ops/dense/backtrack_dense_inputs' ? { VEC4S: denseInputVec4s } : undefined);
    const compiled = await Promise.all(shaders.map((shader) => Kernel.create(context, { shader, defines: defines(shader) })));
    const kernels = Object.fromEntries(names.map((n, i) => [n, compiled[i]])) as GpuBacktracker['kernels'];
    // The conv kernel unrolls its window's taps: one variant per kernel size the model has.
    const kernelSizes = [...new Set(model.layers.flatMap((l) => (l.kind === 'conv2d' ? [l.kernel] : [])))];
    const convKernels = new Map(
      await Promise.all(kernelSizes.map(async (k) => [k, await Kernel.create(context, { shader: 'ops/conv2d/backtrack_conv2d', defines: { TAPS: k * k } })] as const)),
    );
    return gpuStep(context, 'allocating the backtracking buffers', () => {
      const vectors: MemoryVectorBuffer[] = [];
      const newVector = (capacity: number): MemoryVectorBuffer => {
        const index = vectors.length;
        const buffer = createStorageBuffer(context, `memory vector ${index}`, capacity * memoryNodeWords * 4);
        vectors.push({ index, capacity, buffer });
        return vectors[index];
      };
      const levelBuffers: MemoryVectorBuffer[] = [];
      levelBuffers[top] = newVector(1);
      let scratchSize = 1;
      for (let i = top - 1; i >= 0; i--) {
        const above = levelBuffers[i + 1];
        // Capacities hold for both rules: hysm never selects fewer nodes than official.
        const selection = selectionFor(model.layers, i, shapes, 'hysm');
        if (selection.kind === 'identity') {
          levelBuffers[i] = above;
          continue;
        }
        const size = elementCount(shapes[i]);
        const fanOut = selection.kind === 'dense' ? size : selection.kind === 'globalAvgPool' ? shapes[i].height * shapes[i].width : 1;
        levelBuffers[i] = newVector(Math.min(size, above.capacity * fanOut));
        scratchSize = Math.max(scratchSize, size);
      }
      const vectorSizes = createStorageBuffer(
        context,
        'memory vector sizes',
        vectors.length * vectorSizeWords * 4,
        GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      );
      const words = Math.ceil(scratchSize / 32);
      const scratch = {
        selected: createStorageBuffer(context, 'selected bitmap', words * 4),
        selections: createStorageBuffer(context, 'selections', scratchSize * 8),
        blockTotals: createStorageBuffer(context, 'compaction blocks', Math.ceil(words / wordsPerBlock) * 4),
      };
      const convWeights = uploadConvWeights(context, model.layers);
      const owned = [vectorSizes, ...Object.values(scratch), ...vectors.map((v) => v.buffer), ...[...convWeights.values()].flat().map((c) => c.buffer)];
      return new GpuBacktracker(context, gpuModel, levelBuffers, vectors, vectorSizes, scratch, kernels, convKernels, convWeights, owned);
    });
  }

  /** Backtracks from class `target` over the activations of the last forward pass; one readback at the end. */
  async run(target: number, rule: Rule): Promise<{ tree: FixationTree; backtrackMs: number }> {
    const { model, shapes } = this.gpuModel;
    const classes = shapes[shapes.length - 1].channels;
    if (!Number.isInteger(target) || target < 0 || target >= classes) {
      throw new RangeError(`target class ${target} is not one of the model's ${classes} classes (0 … ${classes - 1})`);
    }
    const start = performance.now();
    const steps = await this.stepsFor(rule);
    await gpuStep(this.context, `backtracking from class ${target} (${rule})`, () => {
      this.startAt(target);
      const encoder = this.context.device.createCommandEncoder({ label: 'backtrack' });
      const pass = encoder.beginComputePass({ label: 'backtrack' });
      for (const step of steps) step.encode(pass);
      pass.end();
      this.context.device.queue.submit([encoder.finish()]);
    });
    const data = await readBuffers(this.context, 'reading the fixation tree', [
      { buffer: this.vectorSizes, size: this.vectors.length * vectorSizeWords * 4 },
      ...this.vectors.map((v) => ({ buffer: v.buffer, size: v.capacity * memoryNodeWords * 4 })),
    ]);
    const sizes = new Uint32Array(data[0]);
    const read = (v: MemoryVectorBuffer, field: number) => {
      const records = new Uint32Array(data[1 + v.index]);
      const size = sizes[v.index * vectorSizeWords + 3];
      return Uint32Array.from({ length: size }, (_, k) => records[k * memoryNodeWords + field]);
    };
    const levels: TreeLevel[] = [];
    for (let a = model.layers.length; a >= 0; a--) {
      const vector = this.levelBuffers[a];
      const sharesAbove = a < model.layers.length && this.levelBuffers[a + 1] === vector;
      const sharesBelow = a > 0 && this.levelBuffers[a - 1] === vector;
      const nodes = read(vector, 0);
      const ones = () => new Uint32Array(nodes.length).fill(1);
      levels.push({
        name: a === 0 ? 'input' : model.layers[a - 1].name,
        activation: a,
        shape: shapes[a],
        nodes,
        // Through an identity layer every node is its own parent.
        parents: sharesAbove ? nodes.slice() : read(vector, 1),
        parentCounts: sharesAbove ? ones() : read(vector, 2),
        childCounts: sharesBelow ? ones() : read(vector, 3),
      });
    }
    return { tree: { target, rule, levels }, backtrackMs: performance.now() - start };
  }

  /** The memory vector above the top layer: the target class alone. */
  private startAt(target: number): void {
    const top = this.levelBuffers[this.gpuModel.model.layers.length];
    const { queue } = this.context.device;
    queue.writeBuffer(top.buffer, 0, Uint32Array.of(target, 0, 0, 0));
    queue.writeBuffer(this.vectorSizes, top.index * vectorSizeWords * 4, Uint32Array.of(1, 1, 1, 1));
  }

  /** GPU time of each layer's backtracking (selection and compaction) from `target`, on the current activations. */
  async profileLayers(target: number, rule: Rule): ReturnType<typeof timePasses> {
    const steps = await this.stepsFor(rule);
    await gpuStep(this.context, 'starting a timed backtrack', () => this.startAt(target));
    const layers = [...new Set(steps.map((s) => s.layer))];
    return timePasses(
      this.context,
      layers.map((layer) => ({
        label: layer,
        encode: (pass: GPUComputePassEncoder) => steps.filter((s) => s.layer === layer).forEach((s) => s.encode(pass)),
      })),
    );
  }

  private async stepsFor(rule: Rule): Promise<LayerStep[]> {
    let steps = this.steps.get(rule);
    if (!steps) {
      const { model, shapes } = this.gpuModel;
      steps = await gpuStep(this.context, `preparing the ${rule} backtracking`, () => {
        const all: LayerStep[] = [];
        for (let i = model.layers.length - 1; i >= 0; i--) {
          const selection = selectionFor(model.layers, i, shapes, rule);
          if (selection.kind !== 'identity') all.push(...this.layerSteps(i, selection));
        }
        return all;
      });
      this.steps.set(rule, steps);
    }
    return steps;
  }

  /** Selection dispatches for layer `index`, then the three compaction dispatches into the memory vector below. */
  private layerSteps(index: number, selection: Exclude<Selection, { kind: 'identity' }>): LayerStep[] {
    const { model, shapes, activations, ops } = this.gpuModel;
    const above = this.levelBuffers[index + 1];
    const below = this.levelBuffers[index];
    const inShape: TensorShape = shapes[index];
    const outShape: TensorShape = shapes[index + 1];
    const input = activations[index];
    const common = {
      memoryVector: above.buffer,
      vectorSizes: this.vectorSizes,
      activations: input.buffer,
      selected: this.scratch.selected,
      selections: this.scratch.selections,
    };
    const indirect = (kernel: Kernel, resources: Record<string, GPUBuffer>, params: Record<string, number>): LayerStep => {
      const bindGroup = kernel.bindGroup({ ...resources, params: this.own(kernel.uniforms(params)) });
      return { layer: layer.name, encode: (pass) => kernel.dispatchIndirect(pass, bindGroup, this.vectorSizes, above.index * vectorSizeWords * 4) };
    };
    const steps: LayerStep[] = [];
    const layer = model.layers[index];
    if (selection.kind === 'conv2d') {
      const conv = layer as Conv2dLayer;
      for (const chunk of this.convWeights.get(index)!) {
        steps.push(
          indirect(this.convKernels.get(conv.kernel)!, { ...common, weights: chunk.buffer }, {
            inWidth: inShape.width,
            inHeight: inShape.height,
            inChannels: inShape.channels,
            inC4: input.c4,
            outWidth: outShape.width,
            outHeight: outShape.height,
            kernel: conv.kernel,
            stride: conv.stride,
            padding: conv.padding,
            chunkFirstChannel: chunk.first,
            chunkChannels: chunk.count,
            centre: selection.centre ? 1 : 0,
            vectorAbove: above.index,
          }),
        );
      }
    } else if (selection.kind === 'dense') {
      const dense = layer as DenseLayer;
      const op = ops[index];
      if (!(op instanceof DenseOp)) throw new Error(`${layer.name}: expected a dense op`);
      const rowStride = Math.ceil(dense.inFeatures / 4) * 4;
      for (const chunk of op.weights.chunks) {
        // Official boundary: each node selects its top contributor. Otherwise each node counts its positive
        // contributions (its out-degree) and the inputs select themselves, with no atomic per edge.
        steps.push(
          indirect(this.kernels.dense, { ...common, weights: chunk.buffer }, {
            inFeatures: dense.inFeatures,
            rowStride,
            chunkFirstRow: chunk.first,
            chunkRows: chunk.count,
            topOnly: selection.topOnly ? 1 : 0,
            vectorAbove: above.index,
          }),
        );
        if (!selection.topOnly) {
          const kernel = this.kernels.denseInputs;
          const bindGroup = kernel.bindGroup({
            ...common,
            weights: chunk.buffer,
            params: this.own(kernel.uniforms({ inFeatures: dense.inFeatures, rowStride, chunkFirstRow: chunk.first, chunkRows: chunk.count, vectorAbove: above.index })),
          });
          const grid = foldedGrid(Math.ceil(dense.inFeatures / (4 * denseInputVec4s)), 64);
          steps.push({ layer: layer.name, encode: (pass) => kernel.dispatch(pass, bindGroup, ...grid) });
        }
      }
    } else if (selection.kind === 'maxpool') {
      const pool = layer as MaxPoolSpec;
      steps.push(
        indirect(this.kernels.maxpool, common, {
          inWidth: inShape.width,
          inHeight: inShape.height,
          inPixelStride: input.c4 * 4,
          outWidth: outShape.width,
          outHeight: outShape.height,
          size: pool.size,
          stride: pool.stride,
          vectorAbove: above.index,
        }),
      );
    } else {
      steps.push(
        indirect(this.kernels.globalAvgPool, common, {
          width: inShape.width,
          height: inShape.height,
          pixelStride: input.c4 * 4,
          argmaxOnly: selection.argmaxOnly ? 1 : 0,
          vectorAbove: above.index,
        }),
      );
    }
    steps.push(...this.compactionSteps(elementCount(inShape), below, layer.name));
    return steps;
  }

  private compactionSteps(size: number, below: MemoryVectorBuffer, layer: string): LayerStep[] {
    const words = Math.ceil(size / 32);
    const blocks = Math.ceil(words / wordsPerBlock);
    const { count, scatter } = this.kernels;
    const countGroup = count.bindGroup({
      selected: this.scratch.selected,
      blockTotals: this.scratch.blockTotals,
      params: this.own(count.uniforms({ words })),
    });
    const scatterGroup = scatter.bindGroup({
      selected: this.scratch.selected,
      selections: this.scratch.selections,
      blockTotals: this.scratch.blockTotals,
      memoryVector: below.buffer,
      vectorSizes: this.vectorSizes,
      params: this.own(scatter.uniforms({ words, blocks, vectorBelow: below.index })),
    });
    return [
      { layer, encode: (pass) => count.dispatch(pass, countGroup, blocks) },
      { layer, encode: (pass) => scatter.dispatch(pass, scatterGroup, blocks) },
    ];
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  destroy(): void {
    this.owned.forEach((b) => b.destroy());
  }
}
