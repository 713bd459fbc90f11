import { DeviceLostError, GpuError, GpuLimitError, NoWebGpuError } from './errors.ts';

/** Returns the WGSL source of a shader in `shaders/` by its file name without `.wgsl`. */
export type ShaderSource = (name: string) => string;

/**
 * The sizes a model's tensors are planned against. Normally the device's limits; tests lower them to force the
 * splitting paths on small nets.
 */
export interface BufferBudget {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

export interface AdapterSummary {
  /** Vendor, architecture, device and description, whichever the platform reports. */
  name: string;
  isFallbackAdapter: boolean;
}

export interface GpuContext {
  /** Held so the instance outlives the device: Dawn in Node frees its instance with the GPU object. */
  gpu: GPU;
  device: GPUDevice;
  adapter: AdapterSummary;
  shaders: ShaderSource;
  budget: BufferBudget;
  hasTimestampQuery: boolean;
  /** The device was created with the `subgroups` feature (requested only where the adapter offers it). */
  hasSubgroups: boolean;
  /** Set once the device is lost; every later GPU step throws {@link DeviceLostError}. */
  lost: DeviceLostError | null;
  /** Compiled pipelines by key, so each shader variant compiles once per context. */
  pipelineCache: Map<string, Promise<unknown>>;
  /** Bytes of GPU buffers alive now and at most, counted by allocateBuffer (buffers.ts). */
  memory: { live: number; peak: number };
}

export interface GpuContextOptions {
  powerPreference?: GPUPowerPreference;
  /** Plan tensors against smaller bindings than the device allows (tests of the splitting path). */
  budget?: Partial<BufferBudget>;
  /** Describes how to get WebGPU on this platform, for the error when there is no adapter. */
  noAdapterHint: string;
  shaders: ShaderSource;
}

/** Limits we raise to the adapter's maximum: big weights and activations want the largest bindings it has. */
const raisedLimits = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

function describeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((p) => p && p.length > 0);
  return {
    name: parts.length > 0 ? [...new Set(parts)].join(' ') : 'unnamed adapter',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
  };
}

export async function createGpuContext(gpu: GPU | undefined, options: GpuContextOptions): Promise<GpuContext> {
  if (!gpu) throw new NoWebGpuError(`WebGPU is not available. ${options.noAdapterHint}`);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) throw new NoWebGpuError(`no WebGPU adapter was found. ${options.noAdapterHint}`);
  const summary = describeAdapter(adapter);

  const requiredLimits: Record<string, number> = {};
  for (const name of raisedLimits) requiredLimits[name] = adapter.limits[name];
  const hasTimestampQuery = adapter.features.has('timestamp-query');
  const hasSubgroups = adapter.features.has('subgroups');
  const requiredFeatures: GPUFeatureName[] = [];
  if (hasTimestampQuery) requiredFeatures.push('timestamp-query');
  if (hasSubgroups) requiredFeatures.push('subgroups' as GPUFeatureName);
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: 'webgpu-fixations',
      requiredLimits,
      requiredFeatures,
    });
  } catch (error) {
    throw new GpuError(`requesting a device from ${summary.name} failed: ${(error as Error).message}`);
  }

  const context: GpuContext = {
    gpu,
    device,
    adapter: summary,
    shaders: options.shaders,
    budget: {
      maxStorageBufferBindingSize: Math.min(
        device.limits.maxStorageBufferBindingSize,
        options.budget?.maxStorageBufferBindingSize ?? Infinity,
      ),
      maxBufferSize: Math.min(device.limits.maxBufferSize, options.budget?.maxBufferSize ?? Infinity),
    },
    hasTimestampQuery,
    hasSubgroups: device.features.has('subgroups'),
    lost: null,
    pipelineCache: new Map(),
    memory: { live: 0, peak: 0 },
  };
  void device.lost.then((info) => {
    context.lost = new DeviceLostError(info.reason ?? 'unknown', info.message);
  });
  device.addEventListener?.('uncapturederror', (event) => {
    console.error(`webgpu-fixations: uncaptured GPU error: ${(event as GPUUncapturedErrorEvent).error.message}`);
  });
  return context;
}

export function assertAlive(context: GpuContext): void {
  if (context.lost) throw context.lost;
}

/**
 * Runs one GPU step inside validation, out-of-memory and internal error scopes, so a failure names the step that
 * failed rather than surfacing later as an unrelated error. The body must be synchronous: error scopes are a stack on
 * the device, and an await inside one would let other steps push and pop in between and take each other's errors.
 */
export async function gpuStep<T>(context: GpuContext, step: string, run: () => T): Promise<T> {
  assertAlive(context);
  const { device } = context;
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let thrown: unknown = null;
  try {
    result = run();
    if (result instanceof Promise) throw new Error(`gpuStep "${step}" was given an asynchronous body`);
  } catch (error) {
    thrown = error;
  }
  const pops = [device.popErrorScope(), device.popErrorScope(), device.popErrorScope()];
  const errors = await Promise.all(pops);
  const error = errors.find((e) => e !== null);
  if (error) {
    assertAlive(context);
    const kind = errors[1] === error ? 'out of GPU memory' : errors[2] === error ? 'internal GPU error' : 'invalid';
    throw new GpuError(`${step} failed (${kind}): ${error.message}`);
  }
  if (thrown) throw thrown;
  return result as T;
}

/** Fails with a message naming the limit, what is needed and the adapter, when a need exceeds what we planned for. */
export function requireLimit(context: GpuContext, limit: keyof BufferBudget | 'maxComputeWorkgroupsPerDimension', need: number, what: string): void {
  const have =
    limit === 'maxComputeWorkgroupsPerDimension' ? context.device.limits.maxComputeWorkgroupsPerDimension : context.budget[limit];
  if (need > have) {
    throw new GpuLimitError(
      `${what} needs ${limit} ≥ ${need}, but ${context.adapter.name} allows ${have}. ` +
        'Use a smaller input size or a GPU with larger limits.',
    );
  }
}
