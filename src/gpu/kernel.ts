import { ResourceType, WgslReflect, type StructInfo, type VariableInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import { allocateBuffer } from './buffers.ts';
import { assertAlive, gpuStep, requireLimit, type GpuContext } from './context.ts';
import { GpuError } from './errors.ts';
import { expandWgsl, type Defines } from './wgsl-template.ts';

/** One shader variant: a file in `shaders/`, template defines, and pipeline-overridable constants. */
export interface KernelVariant {
  shader: string;
  defines?: Defines;
  constants?: Record<string, number>;
}

type UniformValue = number;
export type Resource = GPUBuffer | GPUBufferBinding;

interface UniformField {
  offset: number;
  type: 'u32' | 'i32' | 'f32';
}

interface BindingInfo {
  binding: number;
  kind: 'uniform' | 'storage' | 'read-only-storage';
}

/**
 * Where pipelines compile. Dawn compiles asynchronous pipelines one after another on one worker thread, so a model's
 * pipelines requested together still compile in sequence; a synchronous createComputePipeline compiles on the calling
 * thread (Node) or the GPU process's (Chromium) meanwhile. Requests are shared between the two by a greedy schedule
 * on estimated cost (the WGSL's length after templating): one goes to the worker when the worker would be done first,
 * else it compiles now, here. Measured in Node on SwiftShader: two pipelines requested together took 373–389 ms this
 * way, 442–522 ms both asynchronous, 498–585 ms one after the other; Tiny Darknet's GpuModel.create 468–535 ms against
 * 817–2386 ms (load 4–6). Chromium gained nothing measurable (558–631 ms against 565–748 ms) and lost nothing.
 */
interface Compiler {
  /** Asynchronous compilations not yet finished. */
  inFlight: number;
  /** Estimated work (code length) queued on the worker and done here, since both were last idle. */
  workerEnd: number;
  here: number;
  onMainThread(cost: number): boolean;
}

const compilers = new WeakMap<GpuContext, Compiler>();

function compilerOf(context: GpuContext): Compiler {
  let compiler = compilers.get(context);
  if (!compiler) {
    compiler = {
      inFlight: 0,
      workerEnd: 0,
      here: 0,
      onMainThread(cost) {
        if (this.inFlight === 0) this.workerEnd = this.here = 0;
        if (this.here < this.workerEnd) {
          this.here += cost;
          return true;
        }
        this.workerEnd = Math.max(this.workerEnd, this.here) + cost;
        return false;
      },
    };
    compilers.set(context, compiler);
  }
  return compiler;
}

/**
 * A compiled compute pipeline whose bind-group layout and uniform layout are read from the WGSL itself (wgsl_reflect),
 * so hosts bind resources by the names the shader gives them and a renamed or missing binding fails loudly.
 */
export class Kernel {
  private constructor(
    readonly context: GpuContext,
    readonly label: string,
    readonly pipeline: GPUComputePipeline,
    private readonly layout: GPUBindGroupLayout,
    private readonly bindings: Map<string, BindingInfo>,
    private readonly uniformFields: Map<string, Map<string, UniformField>>,
    private readonly uniformSizes: Map<string, number>,
    readonly workgroupSize: [number, number, number],
  ) {}

  static async create(context: GpuContext, variant: KernelVariant): Promise<Kernel> {
    const key = JSON.stringify([variant.shader, variant.defines ?? {}, variant.constants ?? {}]);
    let cached = context.pipelineCache.get(key) as Promise<Kernel> | undefined;
    if (!cached) {
      cached = Kernel.compile(context, variant, key);
      context.pipelineCache.set(key, cached);
      cached.catch(() => context.pipelineCache.delete(key));
    }
    return cached;
  }

  private static async compile(context: GpuContext, variant: KernelVariant, label: string): Promise<Kernel> {
    const code = expandWgsl(context.shaders(variant.shader), variant.defines, variant.shader, context.shaders);
    let reflect: WgslReflect;
    try {
      reflect = new WgslReflect(code);
    } catch (error) {
      throw new Error(`${variant.shader}.wgsl (after templating) does not parse: ${(error as Error).message}`);
    }
    const entry = reflect.entry.compute[0];
    if (!entry || reflect.entry.compute.length !== 1) {
      throw new Error(`${variant.shader}.wgsl must have exactly one compute entry point`);
    }
    const groups = reflect.getBindGroups();
    if (groups.length !== 1) throw new Error(`${variant.shader}.wgsl must use bind group 0 only`);
    const bindings = new Map<string, BindingInfo>();
    const uniformFields = new Map<string, Map<string, UniformField>>();
    const uniformSizes = new Map<string, number>();
    const entries: GPUBindGroupLayoutEntry[] = [];
    for (const variable of groups[0].filter(Boolean) as VariableInfo[]) {
      const kind =
        variable.resourceType === ResourceType.Uniform
          ? 'uniform'
          : variable.resourceType === ResourceType.Storage
            ? variable.access === 'read'
              ? 'read-only-storage'
              : 'storage'
            : null;
      if (!kind) throw new Error(`${variant.shader}.wgsl: binding ${variable.name} is not a buffer`);
      bindings.set(variable.name, { binding: variable.binding, kind });
      entries.push({ binding: variable.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: kind } });
      if (kind === 'uniform') {
        const struct = variable.type as StructInfo;
        const fields = new Map<string, UniformField>();
        for (const member of struct.members ?? []) {
          const type = member.type.name;
          if (type !== 'u32' && type !== 'i32' && type !== 'f32') {
            throw new Error(`${variant.shader}.wgsl: uniform field ${member.name} must be a u32, i32 or f32 scalar`);
          }
          fields.set(member.name, { offset: member.offset, type });
        }
        uniformFields.set(variable.name, fields);
        uniformSizes.set(variable.name, Math.ceil(struct.size / 16) * 16);
      }
    }
    const what = `compiling ${variant.shader}.wgsl`;
    const { device } = context;
    const { module, layout } = await gpuStep(context, what, () => ({
      module: device.createShaderModule({ label: variant.shader, code }),
      layout: device.createBindGroupLayout({ label: variant.shader, entries }),
    }));
    const info = await module.getCompilationInfo?.();
    const problems = (info?.messages ?? []).filter((m) => m.type === 'error');
    if (problems.length > 0) {
      throw new GpuError(`${what} failed: ${problems.map((m) => `line ${m.lineNum}: ${m.message}`).join('; ')}`);
    }
    const descriptor: GPUComputePipelineDescriptor = {
      label,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: entry.name, constants: variant.constants },
    };
    let pipeline: GPUComputePipeline;
    const compiler = compilerOf(context);
    if (compiler.onMainThread(code.length)) {
      pipeline = await gpuStep(context, what, () => device.createComputePipeline(descriptor));
    } else {
      compiler.inFlight++;
      try {
        pipeline = await device.createComputePipelineAsync(descriptor);
      } catch (error) {
        assertAlive(context);
        throw new GpuError(`${what} failed: ${(error as Error).message}`);
      } finally {
        compiler.inFlight--;
      }
    }
    // Overridable workgroup sizes are named WG_X / WG_Y / WG_Z by convention; reflection reports their defaults.
    const size = (entry.workgroupSize ?? [1, 1, 1]).map((v, i) => variant.constants?.[`WG_${'XYZ'[i]}`] ?? v) as [number, number, number];
    return new Kernel(context, variant.shader, pipeline, layout, bindings, uniformFields, uniformSizes, size);
  }

  /** A uniform buffer for the shader's uniform variable `variable`, filled by field name; every field must be given. */
  uniforms(values: Record<string, UniformValue>, variable = 'params'): GPUBuffer {
    const fields = this.uniformFields.get(variable);
    if (!fields) throw new Error(`${this.label}.wgsl has no uniform variable ${variable}`);
    const data = new ArrayBuffer(this.uniformSizes.get(variable)!);
    const view = new DataView(data);
    for (const [name, field] of fields) {
      const value = values[name];
      if (value === undefined) throw new Error(`${this.label}.wgsl: uniform ${variable}.${name} was not given`);
      if (field.type === 'f32') view.setFloat32(field.offset, value, true);
      else if (field.type === 'i32') view.setInt32(field.offset, value, true);
      else view.setUint32(field.offset, value, true);
    }
    for (const name of Object.keys(values)) {
      if (!fields.has(name)) throw new Error(`${this.label}.wgsl: uniform ${variable} has no field ${name}`);
    }
    const buffer = allocateBuffer(this.context, {
      label: `${this.label}.${variable}`,
      size: data.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.context.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** A bind group from resources named as in the WGSL; every binding must be given exactly once. */
  bindGroup(resources: Record<string, Resource>): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    for (const [name, info] of this.bindings) {
      const resource = resources[name];
      if (!resource) throw new Error(`${this.label}.wgsl: binding ${name} was not given`);
      entries.push({ binding: info.binding, resource: 'buffer' in resource ? resource : { buffer: resource } });
    }
    for (const name of Object.keys(resources)) {
      if (!this.bindings.has(name)) throw new Error(`${this.label}.wgsl has no binding named ${name}`);
    }
    return this.context.device.createBindGroup({ label: this.label, layout: this.layout, entries });
  }

  /** Records one dispatch; checks the grid against the device's per-dimension limit. */
  dispatch(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, x: number, y = 1, z = 1): void {
    for (const count of [x, y, z]) requireLimit(this.context, 'maxComputeWorkgroupsPerDimension', count, `${this.label} dispatch`);
    if (x === 0 || y === 0 || z === 0) return;
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }

  dispatchIndirect(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, args: GPUBuffer, offset = 0): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroupsIndirect(args, offset);
  }
}
