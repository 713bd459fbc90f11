import { createStorageBuffer, readBuffers } from '../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../gpu/context.ts';
import { Kernel } from '../gpu/kernel.ts';
import { timePasses } from '../gpu/pass-timer.ts';
import type { GpuModel } from '../forward/gpu-model.ts';
import type { BacktrackEnv, BacktrackStep, PreparedBacktrack } from '../ops/common/op-definition.ts';
import type { Rule } from '../ops/common/rules.ts';
import { opOf } from '../ops/registry.ts';
import { elementCount } from '../model/shapes.ts';
import type { ArchitectureNode } from '../graph/model.ts';
import { planBacktracking, splitParentKey, type BacktrackPlan, type TensorPlan } from './planner.ts';
import type { FixationTree, TreeLevel } from './tree.ts';

/** Bitmap words a compaction block covers: 64 invocations × 16 (compact_count.wgsl, compact_scatter.wgsl). */
const wordsPerBlock = 1024;
/** A memory vector entry: node, parent, parent count, child count (struct MemoryNode in the WGSL). */
const memoryNodeWords = 4;
/** Per memory vector in `vectorSizes`: indirect dispatch x, y, z, then the size. */
const vectorSizeWords = 4;

/** A labelled dispatch: the node whose backtracking it is, for per-layer timings. */
interface LabelledStep extends BacktrackStep {
  layer: string;
}

/**
 * Backtracking on the GPU, after a forward pass of `GpuModel` and from its kept activations. Tensors are visited in
 * reverse topological order; each reader of a tensor runs its op's selection kernels (one invocation per node of the
 * reader's memory vector, indirect dispatch from the GPU-side count), all into one selection bitmap, and a
 * deterministic compaction then turns the union into the tensor's memory vector. Nothing is read back until the whole
 * tree is done.
 */
export class GpuBacktracker {
  private readonly steps = new Map<Rule, LabelledStep[]>();

  private constructor(
    private readonly context: GpuContext,
    private readonly gpuModel: GpuModel,
    readonly plan: BacktrackPlan,
    private readonly vectors: GPUBuffer[],
    /** Per memory vector: its indirect dispatch arguments and its size, written by the GPU. */
    private readonly vectorSizes: GPUBuffer,
    private readonly scratch: { selected: GPUBuffer; selections: GPUBuffer; blockTotals: GPUBuffer },
    private readonly compaction: { count: Kernel; scatter: Kernel },
    private readonly prepared: ReadonlyMap<ArchitectureNode, PreparedBacktrack>,
    private readonly owned: GPUBuffer[],
  ) {}

  static async create(gpuModel: GpuModel): Promise<GpuBacktracker> {
    const { context, model, graph } = gpuModel;
    if (gpuModel.batch !== 1) {
      throw new Error(`${model.name}: backtracking runs on a model of one image, this one holds ${gpuModel.batch}; copy an image into one (GpuModel.copyImageInto)`);
    }
    const plan = planBacktracking(model, graph);
    const compaction = Promise.all(['compact_count', 'compact_scatter'].map((shader) => Kernel.create(context, { shader })));
    // Awaited below, unless a node fails first: then its error is the one reported.
    compaction.catch(() => {});
    // Every node is prepared at once: the pipelines compile one after another while ready nodes upload their weights.
    const settled = await Promise.allSettled(
      model.nodes.map((node, i) => {
        const inShapes = node.inputs.map((t) => graph.shapes.get(t)!);
        return opOf(node).backtrack.prepare(context, node, gpuModel.ops[i], inShapes, graph.shapes.get(node.output)!);
      }),
    );
    const prepared = new Map<ArchitectureNode, PreparedBacktrack>();
    settled.forEach((s, i) => s.status === 'fulfilled' && prepared.set(model.nodes[i], s.value));
    try {
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      const [count, scatter] = await compaction;
      return await gpuStep(context, 'allocating the backtracking buffers', () => {
        const vectors = plan.vectorCapacities.map((capacity, i) => createStorageBuffer(context, `memory vector ${i}`, capacity * memoryNodeWords * 4));
        const vectorSizes = createStorageBuffer(
          context,
          'memory vector sizes',
          vectors.length * vectorSizeWords * 4,
          GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
        );
        const words = Math.ceil(plan.scratchNodes / 32);
        const scratch = {
          selected: createStorageBuffer(context, 'selected bitmap', words * 4),
          selections: createStorageBuffer(context, 'selections', plan.scratchNodes * 8),
          blockTotals: createStorageBuffer(context, 'compaction blocks', Math.ceil(words / wordsPerBlock) * 4),
        };
        const owned = [vectorSizes, ...Object.values(scratch), ...vectors];
        return new GpuBacktracker(context, gpuModel, plan, vectors, vectorSizes, scratch, { count, scatter }, prepared, owned);
      });
    } catch (error) {
      prepared.forEach((p) => p.destroy());
      throw error;
    }
  }

  /** Backtracks from class `target` over the activations of the last forward pass; one readback at the end. */
  async run(target: number, rule: Rule): Promise<{ tree: FixationTree; backtrackMs: number }> {
    const classes = elementCount(this.gpuModel.tensor(this.gpuModel.model.output).shape);
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
      ...this.vectors.map((v, i) => ({ buffer: v, size: this.plan.vectorCapacities[i] * memoryNodeWords * 4 })),
    ]);
    const sizes = new Uint32Array(data[0]);
    const levels = this.plan.levels.map((level) => this.readLevel(level, sizes, data));
    return { tree: { target, rule, levels }, backtrackMs: performance.now() - start };
  }

  private readLevel(level: TensorPlan, sizes: Uint32Array, data: ArrayBuffer[]): TreeLevel {
    const records = new Uint32Array(data[1 + level.vector]);
    const size = sizes[level.vector * vectorSizeWords + 3];
    const field = (f: number) => Uint32Array.from({ length: size }, (_, k) => records[k * memoryNodeWords + f]);
    const nodes = field(0);
    const ones = () => new Uint32Array(nodes.length).fill(1);
    // A tensor below shares this vector when its only reader writes this one, node for node (flatten).
    const sharedBelow = this.plan.levels.some((l) => l.sharesWith === level.tensor);
    const base = { name: level.tensor, shape: level.shape, nodes, parentTensors: level.parentTensors, childCounts: sharedBelow ? ones() : field(3) };
    if (level.sharesWith) {
      return { ...base, parentTensor: new Uint32Array(nodes.length), parents: nodes.slice(), parentCounts: ones() };
    }
    const keys = field(1);
    const parentTensor = new Uint32Array(nodes.length);
    const parents = new Uint32Array(nodes.length);
    keys.forEach((key, k) => {
      const { parentIndex, node } = splitParentKey(level, key);
      parentTensor[k] = parentIndex;
      parents[k] = node;
    });
    return { ...base, parentTensor, parents, parentCounts: field(2) };
  }

  /** The memory vector of the output: the target class alone. */
  private startAt(target: number): void {
    const top = this.plan.byTensor.get(this.gpuModel.model.output)!.vector;
    const { queue } = this.context.device;
    queue.writeBuffer(this.vectors[top], 0, Uint32Array.of(target, 0, 0, 0));
    queue.writeBuffer(this.vectorSizes, top * vectorSizeWords * 4, Uint32Array.of(1, 1, 1, 1));
  }

  /** GPU time of each node's backtracking (selection and compaction) from `target`, on the current activations. */
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

  private async stepsFor(rule: Rule): Promise<LabelledStep[]> {
    let steps = this.steps.get(rule);
    if (!steps) {
      steps = await gpuStep(this.context, `preparing the ${rule} backtracking`, () =>
        this.plan.levels.filter((l) => l.consumers.length > 0 && !l.sharesWith).flatMap((l) => this.tensorSteps(l, rule)),
      );
      this.steps.set(rule, steps);
    }
    return steps;
  }

  /** Every reader's selection into the tensor, lowest parent tensor first, then the compaction into its vector. */
  private tensorSteps(level: TensorPlan, rule: Rule): LabelledStep[] {
    const { graph } = this.gpuModel;
    const steps: LabelledStep[] = [];
    for (const { node, inputIndex } of level.consumers) {
      const above = this.plan.byTensor.get(node.output)!;
      const parentIndex = level.parentTensors.indexOf(node.output);
      const env: BacktrackEnv = {
        site: { rule, inputIndex, inShapes: node.inputs.map((t) => graph.shapes.get(t)!), outShape: above.shape, wiring: node, graph: graph.view },
        inputs: node.inputs.map((t) => this.gpuModel.tensor(t)),
        output: this.gpuModel.tensor(node.output),
        shared: {
          memoryVector: this.vectors[above.vector],
          vectorSizes: this.vectorSizes,
          activations: this.gpuModel.tensor(level.tensor).buffer,
          selected: this.scratch.selected,
          selections: this.scratch.selections,
        },
        vectorAbove: above.vector,
        parentTag: level.parentTensors.length > 1 ? parentIndex * 2 ** level.nodeBits : 0,
        indirect: (kernel, resources, params) => {
          const bindGroup = kernel.bindGroup({ ...resources, params: this.own(kernel.uniforms(params)) });
          return { encode: (pass) => kernel.dispatchIndirect(pass, bindGroup, this.vectorSizes, above.vector * vectorSizeWords * 4) };
        },
        direct: (kernel, resources, params, [x, y = 1, z = 1]) => {
          const bindGroup = kernel.bindGroup({ ...resources, params: this.own(kernel.uniforms(params)) });
          return { encode: (pass) => kernel.dispatch(pass, bindGroup, x, y, z) };
        },
      };
      steps.push(...this.prepared.get(node)!.steps(env).map((step) => ({ layer: node.name, encode: step.encode })));
    }
    const last = level.consumers[level.consumers.length - 1].node.name;
    steps.push(...this.compactionSteps(elementCount(level.shape), level.vector, last));
    return steps;
  }

  private compactionSteps(size: number, vectorBelow: number, layer: string): LabelledStep[] {
    const words = Math.ceil(size / 32);
    const blocks = Math.ceil(words / wordsPerBlock);
    const { count, scatter } = this.compaction;
    const countGroup = count.bindGroup({
      selected: this.scratch.selected,
      blockTotals: this.scratch.blockTotals,
      params: this.own(count.uniforms({ words })),
    });
    const scatterGroup = scatter.bindGroup({
      selected: this.scratch.selected,
      selections: this.scratch.selections,
      blockTotals: this.scratch.blockTotals,
      memoryVector: this.vectors[vectorBelow],
      vectorSizes: this.vectorSizes,
      params: this.own(scatter.uniforms({ words, blocks, vectorBelow })),
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
    this.prepared.forEach((p) => p.destroy());
    this.owned.forEach((b) => b.destroy());
  }
}
