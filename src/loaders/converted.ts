/**
 * Loader of the converted format (`converted-format.ts`). It takes the manifest's text and a function that returns a
 * file's bytes by name, so the same code runs on `fetch` in the browser, on dropped `File`s and on the file system in
 * Node. Everything the manifest says is checked before a single binary file is read (layer specs chain, every tensor
 * has its layer's shape, parts lie inside their files and tile them exactly), and every file's size is checked as it
 * arrives; the model is returned only once all of it is in and `validateModel` has passed.
 */
import type { SpecFields } from '../ops/common/op-definition.ts';
import type { LayerSpec } from '../ops/layers.ts';
import { opKinds, opOf } from '../ops/registry.ts';
import { buildGraph, chain, ModelWeightsError, validateModel, type ArchitectureNode, type GraphNode, type Model } from '../graph/model.ts';
import { originResizeFilter, resizeFilters, resizeModes, type Preprocess } from '../model/preprocess.ts';
import { ModelShapeError, type TensorShape } from '../model/shapes.ts';
import {
  convertedFormatId,
  convertedFormatVersion,
  type ConvertedManifest,
  type ConvertedTensor,
  type ConvertedTensorPart,
} from './converted-format.ts';
import { preprocessProblem } from '../model/preprocess-check.ts';
import { ModelFormatError } from './format-error.ts';
import { limits } from './limits.ts';

/**
 * The bytes of one binary file the manifest lists, by its plain name; `expectedBytes` is the size the manifest gives,
 * so a reader can refuse a larger file before reading it.
 */
export type ReadModelFile = (name: string, expectedBytes: number) => Promise<Uint8Array>;

export interface ConvertedLoadOptions {
  /** Name of the manifest, for messages. */
  fileName?: string;
  /** Called after each binary file with the bytes read so far and in all. */
  onProgress?: (loadedBytes: number, totalBytes: number, file: string) => void;
}

type Json = Record<string, unknown>;

/** Checks of one JSON value, each failing with the manifest's name and the path of the bad value. */
class ManifestReader {
  constructor(readonly file: string) {}

  fail(path: string, problem: string): never {
    throw new ModelFormatError(this.file, `${path} ${problem}`);
  }

  object(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    return value as Json;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'must be a list');
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(path, 'must be a non-empty string');
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number = limits.side): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be an integer from ${min} to ${max} (is ${JSON.stringify(value) ?? String(value)})`);
    }
    return value;
  }

  finite(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, `must be a finite number (is ${JSON.stringify(value)})`);
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): T {
    if (!options.includes(value as T)) this.fail(path, `must be one of ${options.join(', ')} (is ${JSON.stringify(value)})`);
    return value as T;
  }

  triple(value: unknown, path: string, positive = false): [number, number, number] {
    const list = this.array(value, path);
    if (list.length !== 3) this.fail(path, 'must list 3 numbers');
    return list.map((v, i) => {
      const n = this.finite(v, `${path}[${i}]`);
      if (positive && n <= 0) this.fail(`${path}[${i}]`, 'must be positive');
      return n;
    }) as [number, number, number];
  }
}

/** A node's spec rebuilt from known fields only, through its op's reader, so nothing unchecked reaches the model. */
function layerSpec(r: ManifestReader, value: unknown, path: string): LayerSpec {
  const o = r.object(value, path);
  const kind = r.oneOf(o.kind, `${path}.kind`, opKinds);
  const name = r.string(o.name, `${path}.name`);
  const fields: SpecFields = {
    integer: (key, min, max = limits.features) => r.integer(o[key], `${path}.${key}`, min, max),
    integers: (key, length, min) => {
      const list = r.array(o[key], `${path}.${key}`);
      if (list.length !== length) r.fail(`${path}.${key}`, `must list ${length} integers (has ${list.length})`);
      return list.map((v, i) => r.integer(v, `${path}.${key}[${i}]`, min));
    },
    finite: (key) => r.finite(o[key], `${path}.${key}`),
    boolean: (key) => {
      if (typeof o[key] !== 'boolean') r.fail(`${path}.${key}`, `must be true or false (is ${JSON.stringify(o[key])})`);
      return o[key] as boolean;
    },
    oneOf: (key, options) => r.oneOf(o[key], `${path}.${key}`, options),
    has: (key) => o[key] !== undefined,
  };
  return opOf({ kind }).readSpec(fields, name);
}

function layersOf(r: ManifestReader, value: unknown): LayerSpec[] {
  const layers = r.array(value, 'layers').map((l, i) => layerSpec(r, l, `layers[${i}]`));
  if (layers.length === 0) r.fail('layers', 'is empty');
  return layers;
}

/** Version 2: each node's spec with the tensors it reads and writes. */
function graphNodesOf(r: ManifestReader, value: unknown, outputValue: unknown): { nodes: ArchitectureNode[]; output: string } {
  const nodes = r.array(value, 'nodes').map((n, i): ArchitectureNode => {
    const path = `nodes[${i}]`;
    const o = r.object(n, path);
    const inputs = r.array(o.inputs, `${path}.inputs`).map((t, k) => r.string(t, `${path}.inputs[${k}]`));
    return { ...layerSpec(r, n, path), inputs, output: r.string(o.output, `${path}.output`) };
  });
  if (nodes.length === 0) r.fail('nodes', 'is empty');
  return { nodes, output: r.string(outputValue, 'output') };
}

/**
 * The recipe, rebuilt from known fields. `resizeFilter` came later than the rest: a manifest without it (written before)
 * gets its origin's filter, recognised from the rest of the recipe (`originResizeFilter`).
 */
function preprocessOf(r: ManifestReader, value: unknown, input: TensorShape): Preprocess {
  const o = r.object(value, 'preprocess');
  const rest = {
    width: r.integer(o.width, 'preprocess.width', 1),
    height: r.integer(o.height, 'preprocess.height', 1),
    resize: r.oneOf(o.resize, 'preprocess.resize', resizeModes),
    cropFraction: r.finite(o.cropFraction, 'preprocess.cropFraction'),
    letterboxFill: r.finite(o.letterboxFill, 'preprocess.letterboxFill'),
    scale: r.finite(o.scale, 'preprocess.scale'),
    mean: r.triple(o.mean, 'preprocess.mean'),
    std: r.triple(o.std, 'preprocess.std', true),
    channelOrder: r.oneOf(o.channelOrder, 'preprocess.channelOrder', ['rgb', 'bgr'] as const),
  };
  const resizeFilter = o.resizeFilter === undefined ? originResizeFilter(rest) : r.oneOf(o.resizeFilter, 'preprocess.resizeFilter', resizeFilters);
  const preprocess: Preprocess = { ...rest, resizeFilter };
  if (preprocess.width !== input.width || preprocess.height !== input.height) {
    r.fail('preprocess', `makes ${preprocess.width}×${preprocess.height} images but the input is ${input.width}×${input.height}`);
  }
  const problem = preprocessProblem(preprocess);
  if (problem) throw new ModelFormatError(r.file, problem);
  return preprocess;
}

/** The binary file names must be plain names: the manifest must not make a reader open files elsewhere. */
function plainFileName(r: ManifestReader, value: unknown, path: string): string {
  const name = r.string(value, path);
  if (/[/\\]/.test(name) || name === '.' || name === '..') r.fail(path, `"${name}" must be a plain file name beside the manifest`);
  return name;
}

export interface ConvertedModelPlan {
  manifest: ConvertedManifest;
  totalBytes: number;
}

/**
 * Parses and checks a converted manifest without reading any binary file: what the browser needs to show the download
 * size up front, and what the loader runs first.
 */
export function parseConvertedManifest(text: string, file = 'model.fixations.json'): ConvertedModelPlan {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelFormatError(file, `is not valid JSON (${(error as Error).message})`);
  }
  // Annotated so that TypeScript narrows after `r.fail(…)`, which never returns.
  const r: ManifestReader = new ManifestReader(file);
  const root = r.object(json, 'the manifest');
  if (root.format !== convertedFormatId) {
    throw new ModelFormatError(file, `has format ${JSON.stringify(root.format)}, not "${convertedFormatId}": not a model converted by fixations weights convert`);
  }
  if (root.version !== convertedFormatVersion && root.version !== 1) {
    throw new ModelFormatError(file, `is version ${JSON.stringify(root.version)} of the format; this build reads versions 1 to ${convertedFormatVersion}`);
  }
  const name = r.string(root.name, 'name');
  const inputJson = r.object(root.input, 'input');
  const input: TensorShape = {
    channels: r.integer(inputJson.channels, 'input.channels', 1, limits.channels),
    height: r.integer(inputJson.height, 'input.height', 1),
    width: r.integer(inputJson.width, 'input.width', 1),
  };
  if (input.channels !== 3) r.fail('input.channels', `is ${input.channels}; models take RGB (3) inputs`);
  const preprocess = preprocessOf(r, root.preprocess, input);
  const { nodes, output } = root.version === 1 ? chain(layersOf(r, root.layers)) : graphNodesOf(r, root.nodes, root.output);
  const nodeNames = new Set<string>();
  for (const node of nodes) {
    if (nodeNames.has(node.name)) r.fail(root.version === 1 ? 'layers' : 'nodes', `name ${node.name} twice`);
    nodeNames.add(node.name);
  }
  let outputShape: TensorShape;
  try {
    outputShape = buildGraph({ name, input, nodes, output }).shapes.get(output)!;
  } catch (error) {
    if (error instanceof ModelShapeError) throw new ModelFormatError(file, `${root.version === 1 ? 'layers do not chain' : 'is not a valid graph'}: ${error.message}`);
    throw error;
  }
  const labels = r.array(root.labels, 'labels').map((l, i) => {
    if (typeof l !== 'string') r.fail(`labels[${i}]`, 'must be a string');
    return l;
  });
  const classes = outputShape.channels;
  if (labels.length !== classes) r.fail('labels', `has ${labels.length} names for ${classes} output classes`);

  const files = r.array(root.files, 'files').map((f, i) => {
    const o = r.object(f, `files[${i}]`);
    return { name: plainFileName(r, o.name, `files[${i}].name`), size: r.integer(o.size, `files[${i}].size`, 0, Number.MAX_SAFE_INTEGER) };
  });
  const fileSizes = new Map(files.map((f) => [f.name, f.size]));
  if (fileSizes.size !== files.length) r.fail('files', 'lists a file twice');

  const expected = new Map<string, number[]>();
  for (const node of nodes) {
    const weights = opOf(node).weights;
    if (!weights) continue;
    expected.set(`${node.name}.weight`, weights.shape(node));
    expected.set(`${node.name}.bias`, [weights.sizes(node).bias]);
  }
  const tensors = r.array(root.tensors, 'tensors').map((t, i): ConvertedTensor => {
    const o = r.object(t, `tensors[${i}]`);
    const tensorName = r.string(o.name, `tensors[${i}].name`);
    const where = `tensor ${tensorName}`;
    const shape = r.array(o.shape, `${where} shape`).map((d, k) => r.integer(d, `${where} shape[${k}]`, 1, limits.features));
    const want = expected.get(tensorName);
    if (!want) r.fail(where, 'belongs to no layer with weights');
    if (shape.length !== want.length || shape.some((d, k) => d !== want[k])) {
      r.fail(where, `has shape ${JSON.stringify(shape)}, the layer needs ${JSON.stringify(want)}`);
    }
    r.oneOf(o.dtype, `${where} dtype`, ['float32'] as const);
    const byteLength = r.integer(o.byteLength, `${where} byteLength`, 0, limits.tensorBytes);
    if (byteLength !== shape.reduce((a, b) => a * b, 1) * 4) r.fail(where, `has byteLength ${byteLength}, but ${JSON.stringify(shape)} float32 is ${shape.reduce((a, b) => a * b, 1) * 4} bytes`);
    const parts = r.array(o.parts, `${where} parts`).map((p, k): ConvertedTensorPart => {
      const po = r.object(p, `${where} parts[${k}]`);
      const part = {
        file: r.string(po.file, `${where} parts[${k}].file`),
        offset: r.integer(po.offset, `${where} parts[${k}].offset`, 0, Number.MAX_SAFE_INTEGER),
        byteLength: r.integer(po.byteLength, `${where} parts[${k}].byteLength`, 1, limits.tensorBytes),
      };
      const size = fileSizes.get(part.file);
      if (size === undefined) r.fail(where, `is in file ${part.file}, which the manifest's files do not list`);
      if (part.offset + part.byteLength > size) {
        r.fail(where, `lies at bytes ${part.offset}–${part.offset + part.byteLength} of ${part.file}, which has ${size} bytes`);
      }
      return part;
    });
    if (parts.reduce((s, p) => s + p.byteLength, 0) !== byteLength) r.fail(where, `parts hold ${parts.reduce((s, p) => s + p.byteLength, 0)} bytes, the tensor has ${byteLength}`);
    expected.delete(tensorName);
    return { name: tensorName, shape, dtype: 'float32', byteLength, parts };
  });
  if (expected.size > 0) r.fail('tensors', `lack ${[...expected.keys()].slice(0, 4).join(', ')}${expected.size > 4 ? ', …' : ''}`);

  // Parts must tile every file exactly: an overlap or a gap means the offsets are wrong.
  for (const f of files) {
    const inFile = tensors.flatMap((t) => t.parts.filter((p) => p.file === f.name).map((p) => ({ ...p, tensor: t.name }))).sort((a, b) => a.offset - b.offset);
    let at = 0;
    for (const part of inFile) {
      if (part.offset < at) r.fail(`tensor ${part.tensor}`, `overlaps the tensor before it in ${f.name} (starts at byte ${part.offset}, the one before ends at ${at})`);
      if (part.offset > at) r.fail(`file ${f.name}`, `has bytes ${at}–${part.offset} that belong to no tensor`);
      at = part.offset + part.byteLength;
    }
    if (at !== f.size) r.fail(`file ${f.name}`, `has bytes ${at}–${f.size} that belong to no tensor`);
  }

  const source = root.source === undefined ? undefined : r.object(root.source, 'source');
  const manifest: ConvertedManifest = {
    format: convertedFormatId,
    version: convertedFormatVersion,
    name,
    ...(source ? { source: { file: String(source.file), format: String(source.format) } } : {}),
    input,
    preprocess,
    labels,
    nodes,
    output,
    files,
    tensors,
  };
  return { manifest, totalBytes: files.reduce((s, f) => s + f.size, 0) };
}

/** True when `text` is a converted manifest (and not, say, a tfjs model.json); cheap enough to sniff with. */
export function isConvertedManifest(text: string): boolean {
  try {
    return (JSON.parse(text) as Json)?.format === convertedFormatId;
  } catch {
    return false;
  }
}

/** Memory for one tensor, or an error naming the manifest and the tensor when this machine cannot give it. */
function allocateTensor(tensor: ConvertedTensor, file: string): Float32Array {
  try {
    return new Float32Array(tensor.byteLength / 4);
  } catch (error) {
    throw new ModelFormatError(file, `tensor ${tensor.name} needs ${tensor.byteLength} bytes, which this machine cannot allocate (${(error as Error).message})`);
  }
}

/** Loads a converted model: the manifest's text and the bytes of each binary file, read one file at a time. */
export async function loadConvertedModel(manifestJson: string, readFile: ReadModelFile, options: ConvertedLoadOptions = {}): Promise<Model> {
  const file = options.fileName ?? 'model.fixations.json';
  const { manifest, totalBytes } = parseConvertedManifest(manifestJson, file);
  // A tensor's memory is taken when the first file holding part of it has been read and found to be exactly the size
  // listed, so what is allocated never exceeds what is really there, whatever the manifest claims.
  const data = new Map<string, Float32Array>();
  const tensorData = (tensor: ConvertedTensor): Uint8Array => {
    let values = data.get(tensor.name);
    if (!values) data.set(tensor.name, (values = allocateTensor(tensor, file)));
    return new Uint8Array(values.buffer);
  };
  // Where each part goes inside its tensor, so files can be read in any order and dropped right after.
  const destinations = new Map<string, { tensor: ConvertedTensor; at: number; part: ConvertedTensorPart }[]>();
  for (const tensor of manifest.tensors) {
    let at = 0;
    for (const part of tensor.parts) {
      if (!destinations.has(part.file)) destinations.set(part.file, []);
      destinations.get(part.file)!.push({ tensor, at, part });
      at += part.byteLength;
    }
  }
  let loaded = 0;
  for (const { name, size } of manifest.files) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(name, size);
    } catch (error) {
      if (error instanceof ModelFormatError) throw error;
      throw new ModelFormatError(name, `cannot be read (${(error as Error).message}); ${file} needs it beside it`);
    }
    if (bytes.byteLength !== size) {
      throw new ModelFormatError(name, `is ${bytes.byteLength} bytes but ${file} says ${size}: ${bytes.byteLength < size ? 'truncated' : 'a different file'}; convert the model again`);
    }
    for (const { tensor, at, part } of destinations.get(name) ?? []) {
      tensorData(tensor).set(bytes.subarray(part.offset, part.offset + part.byteLength), at);
    }
    loaded += size;
    options.onProgress?.(loaded, totalBytes, name);
  }
  const nodes = manifest.nodes.map((spec): GraphNode =>
    opOf(spec).weights ? ({ ...spec, weight: data.get(`${spec.name}.weight`)!, bias: data.get(`${spec.name}.bias`)! } as GraphNode) : (spec as GraphNode),
  );
  const model: Model = { name: manifest.name, input: manifest.input, preprocess: manifest.preprocess, nodes, output: manifest.output, labels: manifest.labels };
  try {
    validateModel(model);
  } catch (error) {
    if (error instanceof ModelWeightsError) throw new ModelFormatError(file, error.message);
    throw error;
  }
  return model;
}
