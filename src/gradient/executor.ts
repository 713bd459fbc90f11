/**
 * d logit[target] / d requested tensors on the GPU, from a GpuModel's kept activations: every node between the scores
 * and the layers runs its op's backward kernel (ops/<op>/gradient_*.wgsl) in reverse topological order, a tensor read
 * by several nodes gets one dispatch per consumer in a fixed order (the first writes, the others add), all in one
 * compute pass and one submit with the copies of what is asked; the rest stays on the GPU.
 */
import { allocateBuffer, createStorageBuffer } from '../gpu/buffers.ts';
import { assertAlive, gpuStep, type GpuContext } from '../gpu/context.ts';
import type { GpuOp } from '../gpu/dispatch.ts';
import { gpuTensorBytes, paddedHwcToChw } from '../gpu/tensor.ts';
import type { GpuModel } from '../forward/gpu-model.ts';
import type { PreparedGradient } from '../ops/common/op-definition.ts';
import { opOf } from '../ops/registry.ts';
import { planGradient, type GradientPlan } from './planner.ts';

export interface GradientResult {
  /** d logit[target] / d each requested layer, CHW. */
  gradients: Map<string, Float32Array>;
  /** Kept activations read back in the same submit, CHW. */
  activations: Map<string, Float32Array>;
  gradientMs: number;
}

export class GpuGradient {
  private constructor(
    private readonly gpuModel: GpuModel,
    readonly plan: GradientPlan,
    private readonly buffers: ReadonlyMap<string, GPUBuffer>,
    private readonly steps: GpuOp[],
    private readonly prepared: PreparedGradient[],
  ) {}

  /** Plans and prepares the backward to `layers`; throws naming a tensor the forward did not keep but a step reads. */
  static async create(gpuModel: GpuModel, layers: readonly string[]): Promise<GpuGradient> {
    const { context, model, graph } = gpuModel;
    if (gpuModel.batch !== 1) {
      throw new Error(`${model.name}: the gradient runs on a model of one image, this one holds ${gpuModel.batch}; copy an image into one (GpuModel.copyImageInto)`);
    }
    const plan = planGradient(model, layers);
    const dropped = [...plan.reads].filter((t) => !gpuModel.isKept(t));
    if (dropped.length > 0) {
      throw new Error(
        `the gradient to ${layers.join(', ')} reads tensors the forward pass does not keep (${dropped.join(', ')}); create the model with keep: gradientKeeps(model, layer)`,
      );
    }
    const buffers = new Map<string, GPUBuffer>();
    const prepared = new Map<object, PreparedGradient>();
    const steps: GpuOp[] = [];
    const release = () => {
      steps.forEach((s) => s.destroy());
      prepared.forEach((p) => p.destroy());
      buffers.forEach((b) => b.destroy());
    };
    try {
      // Zero-filled once: padding lanes are never written, so they stay 0.
      for (const tensor of plan.tensors) buffers.set(tensor, createStorageBuffer(context, `d/d ${tensor}`, gpuTensorBytes(graph.shapes.get(tensor)!)));
      for (const { node, inputIndex, accumulate } of plan.steps) {
        let host = prepared.get(node);
        if (!host) {
          const inShapes = node.inputs.map((t) => graph.shapes.get(t)!);
          host = await opOf(node).gradient.host.prepare(context, node as never, gpuModel.ops[graph.order.get(node)!], inShapes, graph.shapes.get(node.output)!);
          prepared.set(node, host);
        }
        steps.push(
          await host.step({
            inputIndex,
            inputs: node.inputs.map((t) => gpuModel.tensor(t)),
            output: gpuModel.tensor(node.output),
            outGradient: buffers.get(node.output)!,
            inGradient: buffers.get(node.inputs[inputIndex])!,
            accumulate,
          }),
        );
      }
    } catch (error) {
      release();
      throw error;
    }
    return new GpuGradient(gpuModel, plan, buffers, steps, [...prepared.values()]);
  }

  private get context(): GpuContext {
    return this.gpuModel.context;
  }

  /** The gradients of logit `target` at the planned layers, and `activations` (kept tensors) read in the same submit. */
  async run(target: number, activations: readonly string[] = []): Promise<GradientResult> {
    const start = performance.now();
    const { graph } = this.gpuModel;
    const classes = graph.shapes.get(this.plan.score)!.channels;
    if (!Number.isInteger(target) || target < 0 || target >= classes) throw new RangeError(`class ${target} is not one of the model's ${classes} classes`);
    for (const name of activations) {
      if (!this.gpuModel.isKept(name)) throw new Error(`${this.gpuModel.model.name}: tensor "${name}" is not kept after the forward pass`);
    }
    const reads = [
      ...this.plan.layers.map((t) => ({ name: t, buffer: this.buffers.get(t)!, gradient: true })),
      ...activations.map((t) => ({ name: t, buffer: this.gpuModel.tensor(t).buffer, gradient: false })),
    ].map((r) => ({ ...r, bytes: gpuTensorBytes(graph.shapes.get(r.name)!) }));
    const total = reads.reduce((sum, r) => sum + r.bytes, 0);
    const staging = allocateBuffer(this.context, { label: 'gradient readback', size: Math.max(16, total), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      await gpuStep(this.context, `${this.gpuModel.model.name} gradient of class ${target}`, () => {
        const seed = new Float32Array(gpuTensorBytes(graph.shapes.get(this.plan.score)!) / 4);
        seed[target] = 1;
        this.context.device.queue.writeBuffer(this.buffers.get(this.plan.score)!, 0, seed);
        const encoder = this.context.device.createCommandEncoder({ label: 'gradient' });
        const pass = encoder.beginComputePass({ label: 'gradient' });
        for (const step of this.steps) step.encode(pass);
        pass.end();
        let offset = 0;
        for (const r of reads) {
          encoder.copyBufferToBuffer(r.buffer, 0, staging, offset, r.bytes);
          offset += r.bytes;
        }
        this.context.device.queue.submit([encoder.finish()]);
      });
      try {
        await staging.mapAsync(GPUMapMode.READ);
      } catch (error) {
        assertAlive(this.context);
        throw error;
      }
      const all = staging.getMappedRange();
      const gradients = new Map<string, Float32Array>();
      const values = new Map<string, Float32Array>();
      let offset = 0;
      for (const r of reads) {
        const chw = paddedHwcToChw(new Float32Array(all.slice(offset, offset + r.bytes)), graph.shapes.get(r.name)!);
        (r.gradient ? gradients : values).set(r.name, chw);
        offset += r.bytes;
      }
      return { gradients, activations: values, gradientMs: performance.now() - start };
    } finally {
      staging.destroy();
    }
  }

  destroy(): void {
    this.steps.forEach((s) => s.destroy());
    this.prepared.forEach((p) => p.destroy());
    this.buffers.forEach((b) => b.destroy());
  }
}
