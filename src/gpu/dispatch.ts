import { gpuStep, type GpuContext } from './context.ts';
import { Kernel, type KernelVariant, type Resource } from './kernel.ts';

/** Anything that records its dispatches into a compute pass and owns GPU buffers. */
export interface GpuOp {
  encode(pass: GPUComputePassEncoder): void;
  destroy(): void;
}

/** One pipeline, one bind group and one grid: the whole host of the simple kernels. */
export class Dispatch implements GpuOp {
  private constructor(
    private readonly kernel: Kernel,
    private readonly bindGroup: GPUBindGroup,
    private readonly grid: [number, number, number],
    private readonly owned: GPUBuffer[],
  ) {}

  /**
   * `invocations` is the grid in invocations; it is divided by the kernel's workgroup size. The uniform buffer made
   * from `params` is bound as `params` and owned by the dispatch.
   */
  static async create(
    context: GpuContext,
    variant: KernelVariant,
    params: Record<string, number>,
    resources: Record<string, Resource>,
    invocations: [number, number?, number?],
    owned: GPUBuffer[] = [],
  ): Promise<Dispatch> {
    const kernel = await Kernel.create(context, variant);
    return gpuStep(context, `preparing ${variant.shader}`, () => {
      const paramsBuffer = kernel.uniforms(params);
      const bindGroup = kernel.bindGroup({ ...resources, params: paramsBuffer });
      const grid = [0, 1, 2].map((i) => Math.ceil((invocations[i] ?? 1) / kernel.workgroupSize[i])) as [number, number, number];
      return new Dispatch(kernel, bindGroup, grid, [paramsBuffer, ...owned]);
    });
  }

  encode(pass: GPUComputePassEncoder): void {
    this.kernel.dispatch(pass, this.bindGroup, ...this.grid);
  }

  destroy(): void {
    this.owned.forEach((buffer) => buffer.destroy());
  }
}

/** A flat invocation count as a grid: x within the per-dimension limit, the rest folded into y (see gemm.wgsl). */
export function foldedGrid(invocations: number, threads: number): [number, number] {
  const groups = Math.ceil(invocations / threads);
  return [Math.min(groups, 65535), Math.ceil(groups / 65535)];
}
