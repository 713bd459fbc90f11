import type { GpuContext } from '../../gpu/context.ts';
import type { GpuOp } from '../../gpu/dispatch.ts';
import type { Kernel } from '../../gpu/kernel.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import type { TensorShape } from '../../model/shapes.ts';
import type { KernelChoices } from './kernel-choices.ts';
import type { Rule } from './rules.ts';

/** Every op's spec: its kind (the registry's key) and the node's name. */
export interface OpSpec {
  kind: string;
  name: string;
}

export interface Weights {
  weight: Float32Array;
  bias: Float32Array;
}

/** Where a node sits in the graph: the tensors it reads, in order, and the one it writes. */
export interface NodeWiring {
  inputs: string[];
  output: string;
}

/** What an op may ask of the graph around one of its nodes (the rules look at a node's neighbours). */
export interface GraphView {
  /** The node that writes a tensor; undefined for the graph's input. */
  producer(tensor: string): (OpSpec & NodeWiring) | undefined;
  shape(tensor: string): TensorShape;
}

/** Where one node's backtracking runs: its inputs' and output's shapes, the rule, and which input it selects in. */
export interface BacktrackSite {
  rule: Rule;
  /** The input whose nodes are selected (add, concat: each input has its own step). */
  inputIndex: number;
  inShapes: TensorShape[];
  outShape: TensorShape;
  wiring: NodeWiring;
  graph: GraphView;
}

/** What one node of the memory vector above selected in the input, and near-equal runners-up (see reference/). */
export interface Choice {
  children: number[];
  alternatives: number[] | null;
}

/** Decisions within float32 rounding (1e-6 relative) of the winner are reported as near-ties. */
export const nearTieTolerance = 1e-6;

/** The plain TypeScript CPU reference of an op: float64 sums over CHW arrays, nothing shared with the GPU path. */
export interface OpReference<L> {
  forward(layer: L, inputs: Float32Array[], inShapes: TensorShape[], outShape: TensorShape): Float32Array;
  /** The nodes of input `site.inputIndex` that output node `node` selects, given every input's activations. */
  select(layer: L, site: BacktrackSite, inputs: Float32Array[], node: number): Choice;
}

export interface ForwardEnv {
  kernels: KernelChoices;
  /** Scratch buffers by name, as `ForwardHost.scratch` asked; shared by every node (they run one after another). */
  scratch: ReadonlyMap<string, GPUBuffer>;
  /** min(maxStorageBufferBindingSize, maxBufferSize): what a kernel may bind unsplit. */
  bindingLimit: number;
}

export interface ForwardHost<L> {
  /** Bytes of scratch by name that this node would use; the executor allocates the largest request of each name once. */
  scratch?(layer: L, inputs: GpuTensor[], output: GpuTensor, kernels: KernelChoices, bindingLimit: number): Record<string, number>;
  create(context: GpuContext, layer: L, inputs: GpuTensor[], output: GpuTensor, env: ForwardEnv): Promise<GpuOp>;
}

/** One dispatch of a node's backtracking, recorded into the backtracking's compute pass. */
export interface BacktrackStep {
  encode(pass: GPUComputePassEncoder): void;
}

/** What the backtracking executor hands a node's selection kernels (the WGSL side is shaders/include/memory_vector). */
export interface BacktrackEnv {
  site: BacktrackSite;
  inputs: GpuTensor[];
  output: GpuTensor;
  /** Bindings every selection kernel has: the memory vector above, the sizes, the selected input's activations, scratch. */
  shared: { memoryVector: GPUBuffer; vectorSizes: GPUBuffer; activations: GPUBuffer; selected: GPUBuffer; selections: GPUBuffer };
  /** Index of the memory vector above in `vectorSizes`. */
  vectorAbove: number;
  /** OR-ed into every parent id a kernel records: which consumer of the input selected it (see backtrack/planner.ts). */
  parentTag: number;
  /** One invocation per node of the memory vector above, 64 a workgroup, sized on the GPU. */
  indirect(kernel: Kernel, resources: Record<string, GPUBuffer>, params: Record<string, number>): BacktrackStep;
  /** A fixed grid of workgroups. */
  direct(kernel: Kernel, resources: Record<string, GPUBuffer>, params: Record<string, number>, workgroups: [number, number?, number?]): BacktrackStep;
}

/** A node's backtracking on the GPU, prepared once (kernels compiled, weights laid out) for both rules. */
export interface PreparedBacktrack {
  steps(env: BacktrackEnv): BacktrackStep[];
  destroy(): void;
}

export interface BacktrackHost<L> {
  prepare(context: GpuContext, layer: L, forwardOp: GpuOp, inShapes: TensorShape[], outShape: TensorShape): Promise<PreparedBacktrack>;
}

/** A node's fields as a stored model gives them (the converted format), each read with a check naming it. */
export interface SpecFields {
  integer(key: string, min: number, max?: number): number;
  /** A list of exactly `length` integers, each at least `min` (conv2d's pads). */
  integers(key: string, length: number, min: number): number[];
  finite(key: string): number;
  boolean(key: string): boolean;
  oneOf<T extends string>(key: string, options: readonly T[]): T;
  /** Whether the field is there at all: optional fields keep their default when it is not. */
  has(key: string): boolean;
}

/** What a node's backward reads besides the gradient of its output: which of its inputs, and whether its output. */
export interface GradientReads {
  inputs: number[];
  output: boolean;
}

/**
 * The plain TypeScript CPU reference of an op's backward: float64 over CHW arrays, nothing shared with the GPU path.
 * `outGradient` is d score / d output; the result is d score / d input `inputIndex` (CHW, the input's size).
 */
export interface GradientReference<L> {
  input(
    layer: L,
    inputIndex: number,
    outGradient: Float64Array,
    inputs: readonly Float32Array[],
    output: Float32Array,
    inShapes: TensorShape[],
    outShape: TensorShape,
  ): Float64Array;
}

/** What the gradient executor hands a node's backward kernels: every tensor as on the GPU (channels-last, vec4-padded). */
export interface GradientEnv {
  inputIndex: number;
  /** The forward's activations the backward reads (see `GradientReads`; the others may hold anything). */
  inputs: GpuTensor[];
  output: GpuTensor;
  /** d score / d output, in the output's layout. */
  outGradient: GPUBuffer;
  /** d score / d input `inputIndex`, in that input's layout: written, or added to when `accumulate` (a later consumer). */
  inGradient: GPUBuffer;
  accumulate: boolean;
}

/** A node's backward on the GPU, prepared once (kernels compiled, weights laid out); `step` binds one input's dispatch. */
export interface PreparedGradient {
  step(env: GradientEnv): Promise<GpuOp>;
  destroy(): void;
}

export interface GradientHost<L> {
  /** `forwardOp` is the node's forward (dense reads its weight chunks from it). */
  prepare(context: GpuContext, layer: L, forwardOp: GpuOp, inShapes: TensorShape[], outShape: TensorShape): Promise<PreparedGradient>;
}

/** An op's backward: what it reads, its CPU reference and its GPU host. */
export interface OpGradient<L> {
  reads(layer: L, inputIndex: number): GradientReads;
  reference: GradientReference<L>;
  host: GradientHost<L>;
}

/**
 * Everything the rest of the project knows of one op. `src/ops/registry.ts` maps each kind to one of these; nothing
 * else switches over op kinds.
 */
export interface OpDefinition<S extends OpSpec, L extends S = S> {
  /** How many inputs a node takes: exactly, or at least (add, concat). */
  inputs: { min: number; max: number };
  outputShape(spec: S, inputs: TensorShape[]): TensorShape;
  /** The spec from stored fields (`kind` and `name` are read already); only known fields, each checked. */
  readSpec(fields: SpecFields, name: string): S;
  /** Sizes of the weight and bias tensors, and the fan-in they are drawn for, for ops that carry weights. */
  weights?: { shape(spec: S): number[]; sizes(spec: S): { weight: number; bias: number }; fanIn(spec: S): number };
  /**
   * Every node of the output selects the same node of the only input (flatten, softmax): the backtracking needs no
   * activations and, where the input has no other consumer, shares its memory vector.
   */
  sameNode?: boolean;
  /** At most how many nodes of input `inputIndex` one output node selects (sizes the memory vectors). */
  fanOut(spec: S, inputIndex: number, inShapes: TensorShape[], outShape: TensorShape): number;
  forward: ForwardHost<L>;
  backtrack: BacktrackHost<L>;
  reference: OpReference<L>;
  /** Backward (d score / d input), for Grad-CAM. */
  gradient: OpGradient<L>;
}
