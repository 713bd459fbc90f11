/**
 * safetensors checkpoints of VGG16/VGG19: torchvision names (`features.N.weight`, `classifier.{0,3,6}.weight`) and timm
 * names (`pre_logits.fc1` / `pre_logits.fc2` as 7×7 and 1×1 convs, `head.fc`). Batch-norm variants (`vgg19_bn`) are
 * folded. F32, F16 and BF16 tensors are read as float32.
 */
import { imagenetLabels } from '../labels/imagenet.ts';
import { vggDepth, type BuiltinArchitecture } from '../architectures/vgg.ts';
import type { Conv2dSpec, DenseSpec } from '../ops/layers.ts';
import { validateModel, type Architecture, type GraphNode, type Model, type NodeWiring } from '../graph/model.ts';
import type { Preprocess } from '../model/preprocess.ts';
import { vggArchitectureFromShapes, VggShapeError } from '../architectures/vgg-from-shapes.ts';
import { preprocessProblem } from '../model/preprocess-check.ts';
import { foldBatchNorm, ModelFormatError, namingFile, readFloat32 } from './format-error.ts';
import { integerIn, tensorElements } from './limits.ts';
import { hasWeights } from '../ops/registry.ts';

interface TensorEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

const dtypeBytes: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

export interface Safetensors {
  file: string;
  names: string[];
  shape(name: string): number[];
  /** The tensor as float32, converted from its stored dtype. */
  read(name: string): Float32Array;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Parses and checks a safetensors header; tensor data is converted only when read. */
export function openSafetensors(bytes: Uint8Array, file = 'model.safetensors'): Safetensors {
  if (bytes.byteLength < 8) throw new ModelFormatError(file, `is ${bytes.byteLength} bytes: too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > 100_000_000 || 8 + headerLength > bytes.byteLength) {
    throw new ModelFormatError(file, `declares a ${headerLength}-byte header in a ${bytes.byteLength}-byte file: not safetensors, or truncated`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new ModelFormatError(file, `has an unreadable header (${(error as Error).message}): not safetensors, or corrupt`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new ModelFormatError(file, 'has a header that is not a JSON object: not safetensors, or corrupt');
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const entries = new Map<string, TensorEntry>();
  let coveredTo = 0;
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ModelFormatError(file, `tensor ${name} has header entry ${JSON.stringify(value)}, not {dtype, shape, data_offsets}`);
    }
    const { dtype, shape, data_offsets: offsets } = value as { dtype: unknown; shape: unknown; data_offsets: unknown };
    const size = typeof dtype === 'string' && Object.hasOwn(dtypeBytes, dtype) ? dtypeBytes[dtype] : 0;
    if (!size) throw new ModelFormatError(file, `tensor ${name} has dtype ${JSON.stringify(dtype) ?? 'missing'}; F32, F16, BF16 and F64 are supported`);
    if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) throw new ModelFormatError(file, `tensor ${name} has a malformed header entry`);
    const count = tensorElements(shape, size, file, `tensor ${name}`);
    const begin = integerIn(offsets[0], 0, Number.MAX_SAFE_INTEGER, file, `tensor ${name} data_offsets[0]`);
    const end = integerIn(offsets[1], 0, Number.MAX_SAFE_INTEGER, file, `tensor ${name} data_offsets[1]`);
    if (end - begin !== count * size) {
      throw new ModelFormatError(file, `tensor ${name} ${JSON.stringify(shape)} ${dtype} needs ${count * size} bytes but spans ${end - begin}`);
    }
    if (begin < 0 || end > dataLength) {
      throw new ModelFormatError(file, `tensor ${name} ends at byte ${end} of a ${dataLength}-byte data section: the file is truncated`);
    }
    coveredTo = Math.max(coveredTo, end);
    entries.set(name, { dtype: dtype as string, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  if (coveredTo < dataLength) {
    throw new ModelFormatError(file, `has ${dataLength - coveredTo} bytes after its last tensor: not a well-formed safetensors file`);
  }
  return {
    file,
    names: [...entries.keys()],
    shape: (name) => entries.get(name)!.shape,
    read(name) {
      const entry = entries.get(name);
      if (!entry) throw new ModelFormatError(file, `has no tensor ${name}`);
      const count = (entry.end - entry.begin) / dtypeBytes[entry.dtype];
      if (entry.dtype === 'F32') return readFloat32(bytes, entry.begin, count);
      const out = new Float32Array(count);
      const data = new DataView(bytes.buffer, bytes.byteOffset + entry.begin, entry.end - entry.begin);
      if (entry.dtype === 'F64') for (let i = 0; i < count; i++) out[i] = data.getFloat64(i * 8, true);
      else if (entry.dtype === 'BF16') {
        const bits = new Uint32Array(out.buffer);
        for (let i = 0; i < count; i++) bits[i] = data.getUint16(i * 2, true) << 16;
      } else for (let i = 0; i < count; i++) out[i] = halfToFloat(data.getUint16(i * 2, true));
      return out;
    },
  };
}

export interface SafetensorsModelOptions {
  bytes: Uint8Array;
  fileName?: string;
  /** vgg16 or vgg19; inferred from the number of convolutions when absent. Widths, classes and input size always come from the tensor shapes. */
  arch?: BuiltinArchitecture;
  /** A VGG-shaped architecture to load instead of the built-in ImageNet ones (smaller VGGs, tests). */
  architecture?: Architecture;
  labels?: string[];
  preprocess?: Preprocess;
}

/** Strips wrappers that training code adds in front of torchvision names (`module.`, `model.`). */
export function canonicalNames(names: string[]): Map<string, string> {
  const prefixes = ['module.', 'model.'];
  return new Map(
    names.map((name) => {
      let canonical = name;
      for (const prefix of prefixes) if (canonical.startsWith(prefix)) canonical = canonical.slice(prefix.length);
      return [canonical, name];
    }),
  );
}

/** The VGG the tensor shapes describe (widths, hidden size, classes, input side), checked against `--arch`. */
function inferArchitecture(st: Safetensors, names: Map<string, string>, convIndices: number[], denseSources: string[], arch?: BuiltinArchitecture): Architecture {
  const shapeOf = (name: string): number[] => {
    const stored = names.get(name);
    if (!stored) throw new ModelFormatError(st.file, `has no tensor ${name}; is it a VGG checkpoint with torchvision or timm names?`);
    return st.shape(stored);
  };
  const dense = denseSources.map((source): [number, number] => {
    const [out, ...rest] = shapeOf(`${source}.weight`);
    return [out, rest.reduce((a, b) => a * b, 1)];
  });
  try {
    return vggArchitectureFromShapes(
      { convOutChannels: convIndices.map((i) => shapeOf(`features.${i}.weight`)[0]), dense },
      arch === undefined ? undefined : vggDepth(arch),
    );
  } catch (error) {
    if (error instanceof VggShapeError) throw new ModelFormatError(st.file, error.message);
    throw error;
  }
}

export function loadVggSafetensors(options: SafetensorsModelOptions): Model {
  const file = options.fileName ?? 'model.safetensors';
  return namingFile({ shapes: file, weights: file }, () => readVggSafetensors(options));
}

function readVggSafetensors(options: SafetensorsModelOptions): Model {
  const file = options.fileName ?? 'model.safetensors';
  const st = openSafetensors(options.bytes, file);
  const names = canonicalNames(st.names);
  const used = new Set<string>();
  /** The tensor `name`, which must have exactly one of the given shapes. */
  const get = (name: string, ...shapes: number[][]): Float32Array => {
    const stored = names.get(name);
    if (!stored) throw new ModelFormatError(file, `has no tensor ${name}; is it a VGG checkpoint with torchvision or timm names?`);
    const actual = st.shape(stored);
    if (!shapes.some((shape) => shape.length === actual.length && shape.every((d, i) => d === actual[i]))) {
      throw new ModelFormatError(file, `tensor ${name} has shape ${JSON.stringify(actual)}, the layer needs ${shapes.map((s) => JSON.stringify(s)).join(' or ')}`);
    }
    used.add(name);
    return st.read(stored);
  };
  const convIndices = [...names.keys()]
    .map((n) => /^features\.(\d+)\.weight$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && names.has(m[0]) && st.shape(names.get(m[0])!).length === 4)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const timm = names.has('pre_logits.fc1.weight');
  const denseSources = timm
    ? ['pre_logits.fc1', 'pre_logits.fc2', 'head.fc']
    : ['classifier.0', 'classifier.3', 'classifier.6'];
  const architecture = options.architecture ?? inferArchitecture(st, names, convIndices, denseSources, options.arch);
  const arch = architecture.name;
  const convSpecs = architecture.nodes.filter((l): l is Conv2dSpec & NodeWiring => l.kind === 'conv2d');
  if (convIndices.length !== convSpecs.length) {
    throw new ModelFormatError(file, `has ${convIndices.length} convolutions but ${arch} has ${convSpecs.length}`);
  }

  let conv = 0;
  let dense = 0;
  const nodes: GraphNode[] = architecture.nodes.map((spec): GraphNode => {
    if (spec.kind === 'conv2d') {
      const index = convIndices[conv++];
      const weight = get(`features.${index}.weight`, [spec.outChannels, spec.inChannels, spec.kernel, spec.kernel]);
      const bias = get(`features.${index}.bias`, [spec.outChannels]);
      const norm = `features.${index + 1}`;
      if (names.has(`${norm}.running_mean`)) {
        const n = spec.outChannels;
        foldBatchNorm(
          weight,
          bias,
          { scale: get(`${norm}.weight`, [n]), shift: get(`${norm}.bias`, [n]), mean: get(`${norm}.running_mean`, [n]), variance: get(`${norm}.running_var`, [n]) },
          (variance) => Math.sqrt(variance + 1e-5),
        );
        if (names.has(`${norm}.num_batches_tracked`)) used.add(`${norm}.num_batches_tracked`);
      }
      return { ...spec, weight, bias };
    }
    if (spec.kind === 'dense') {
      const index = dense++;
      const source = denseSources[index];
      const { inFeatures, outFeatures } = spec as DenseSpec;
      // timm stores fc6 as a conv over the last feature map and fc7 as a 1×1 conv; the element order is the same.
      const last = convSpecs[convSpecs.length - 1].outChannels;
      const side = Math.round(Math.sqrt(inFeatures / last));
      const convShape = index === 0 ? [outFeatures, last, side, side] : [outFeatures, inFeatures, 1, 1];
      const weight = get(`${source}.weight`, [outFeatures, inFeatures], ...(timm && index < 2 ? [convShape] : []));
      return { ...spec, weight, bias: get(`${source}.bias`, [outFeatures]) };
    }
    // Only conv and dense weights have a place in these files; any other op with weights would be left without them.
    if (hasWeights(spec)) throw new ModelFormatError(file, `${spec.name}: ${spec.kind} weights are not read from safetensors files`);
    return spec;
  });
  const unused = [...names.keys()].filter((n) => !used.has(n));
  if (unused.length > 0) throw new ModelFormatError(file, `tensors ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''} belong to no ${arch} layer`);

  const classes = (nodes.filter((l) => l.kind === 'dense').pop() as DenseSpec).outFeatures;
  const model: Model = {
    name: arch,
    input: architecture.input,
    preprocess: options.preprocess ?? architecture.preprocess,
    nodes,
    output: architecture.output,
    labels: options.labels ?? (classes === 1000 ? [...imagenetLabels] : Array.from({ length: classes }, (_, i) => `class ${i}`)),
  };
  const badPreprocess = preprocessProblem(model.preprocess);
  if (badPreprocess) throw new ModelFormatError(file, badPreprocess);
  validateModel(model);
  return model;
}
