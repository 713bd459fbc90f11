/**
 * Keras `.h5` weights of VGG16/VGG19: the keras.applications files (`vgg19_weights_tf_dim_ordering_tf_kernels.h5`),
 * and `save_weights` / `save` files of the same network. Like Keras's own loader, layers are taken in the order of the
 * root `layer_names` attribute and each layer's tensors in the order of its `weight_names` attribute, so Keras 1 names
 * (`block1_conv1/block1_conv1_W_1:0`, what keras.applications ships) and Keras 2 names (`block1_conv1/block1_conv1/
 * kernel:0`) both load. Conv kernels are HWIO, dense kernels [in][out]; Keras flattens channels-last, so fc6's rows
 * are permuted into this project's CHW order. Preprocessing is Keras's for VGG: BGR, Caffe means, no scaling.
 *
 * HDF5 is read with h5wasm, the HDF5 C library compiled to WebAssembly (maintained by NIST). It reads every layout
 * h5py writes (jsfive, the pure-JS alternative, reimplements a subset), it also writes HDF5, so tests produce real
 * Keras-layout files with the same C library h5py uses, and its ESM build runs unchanged in Node and in the browser
 * on an in-memory file, which lets this loader take bytes like every other loader here.
 */
import h5wasm, { type Dataset, type Group } from 'h5wasm';
import { imagenetLabels } from '../labels/imagenet.ts';
import { builtinArchitectures, vggDepth, type BuiltinArchitecture } from '../architectures/vgg.ts';
import { graphOf, ModelWeightsError, validateModel, type Architecture, type GraphNode, type Model } from '../graph/model.ts';
import { caffePreprocess, type Preprocess } from '../model/preprocess.ts';
import { ModelShapeError } from '../model/shapes.ts';
import { vggArchitectureFromShapes, VggShapeError } from '../architectures/vgg-from-shapes.ts';
import { preprocessProblem } from '../model/preprocess-check.ts';
import { ModelFormatError } from './format-error.ts';
import { hasWeights } from '../ops/registry.ts';

export interface KerasH5Options {
  bytes: Uint8Array;
  fileName?: string;
  /** A VGG (vgg11 … vgg19), checked against the file; sizes always come from the tensor shapes. */
  arch?: string;
  /** A VGG-shaped architecture to load instead of the one the shapes imply (tests). */
  architecture?: Architecture;
  labels?: string[];
  preprocess?: Preprocess;
}

interface KerasTensor {
  /** Where it is in the file, for messages: `block1_conv1/block1_conv1_W_1:0`. */
  path: string;
  shape: number[];
  dataset: Dataset;
}

interface KerasLayerWeights {
  layer: string;
  kernel: KerasTensor;
  bias: KerasTensor;
}

const hdf5Signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** HDF5 puts its signature at byte 0, or after a user block of 512, 1024, 2048, … bytes. */
function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let at = 0; at + 8 <= bytes.byteLength; at = at === 0 ? 512 : at * 2) {
    if (hdf5Signature.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

/**
 * A list-of-strings attribute as Keras writes it: fixed-length byte strings, an empty float array for an empty list,
 * and, past HDF5's 64 KiB attribute limit, split into `name0`, `name1`, ….
 */
function stringListAttribute(group: Group, name: string): string[] | null {
  const attrs = group.attrs;
  const decode = (value: unknown): string[] => {
    if (typeof value === 'string') return [value];
    if (Array.isArray(value)) return value.map((v) => String(v).replace(/[\0 ]+$/, ''));
    if (ArrayBuffer.isView(value) && (value as unknown as ArrayLike<unknown>).length === 0) return [];
    throw new Error(`attribute ${name} of ${group.path} is not a list of strings`);
  };
  if (name in attrs) return decode(attrs[name].value);
  if (!(`${name}0` in attrs)) return null;
  const list: string[] = [];
  for (let chunk = 0; `${name}${chunk}` in attrs; chunk++) list.push(...decode(attrs[`${name}${chunk}`].value));
  return list;
}

function textAttribute(group: Group, name: string): string | undefined {
  const value = name in group.attrs ? group.attrs[name].value : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The kernel and bias of every layer that has weights, in `layer_names` order. */
function kerasLayerWeights(root: Group, file: string): KerasLayerWeights[] {
  const layerNames = stringListAttribute(root, 'layer_names');
  if (!layerNames) throw new ModelFormatError(file, 'has no layer_names attribute: not a Keras weights file (save_weights or save)');
  const layers: KerasLayerWeights[] = [];
  for (const layer of layerNames) {
    const group = root.get(layer);
    if (!(group instanceof h5wasm.Group)) throw new ModelFormatError(file, `lists layer ${layer} in layer_names but has no group ${layer}`);
    const weightNames = stringListAttribute(group, 'weight_names') ?? [];
    if (weightNames.length === 0) continue;
    const tensors = weightNames.map((weight): KerasTensor => {
      const dataset = group.get(weight);
      if (!(dataset instanceof h5wasm.Dataset)) throw new ModelFormatError(file, `layer ${layer} lists weight ${weight} but the file has no dataset ${layer}/${weight}`);
      return { path: `${layer}/${weight}`, shape: dataset.shape ?? [], dataset };
    });
    if (tensors.length !== 2) {
      throw new ModelFormatError(file, `layer ${layer} has ${tensors.length} weights (${weightNames.join(', ')}); a VGG layer has a kernel and a bias`);
    }
    layers.push({ layer, kernel: tensors[0], bias: tensors[1] });
  }
  return layers;
}

function values(tensor: KerasTensor, file: string): Float32Array {
  const value = tensor.dataset.value;
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array) return Float32Array.from(value);
  throw new ModelFormatError(file, `dataset ${tensor.path} has dtype ${String(tensor.dataset.dtype)}; float32 and float64 are supported`);
}

function expectShape(tensor: KerasTensor, shape: number[], file: string): void {
  if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
    throw new ModelFormatError(file, `dataset ${tensor.path} has shape ${JSON.stringify(tensor.shape)}, the layer needs ${JSON.stringify(shape)}`);
  }
}

let openFiles = 0;

/**
 * One line from what HDF5 reports: its error stack ("HDF5-DIAG: Error detected … #000: … in H5Fopen(): unable to open
 * file …") names the outermost call first; the innermost entry says what was actually wrong.
 */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const entries = [...text.matchAll(/#\d+: .* in (\w+)\(\): (.*)$/gm)];
  const last = entries.at(-1);
  if (last) return `${last[2].trim()} in ${last[1]}`;
  return text.split('\n')[0].trim();
}

/** Builds a validated VGG model from a Keras .h5 weights file. */
export async function loadKerasH5(options: KerasH5Options): Promise<Model> {
  const file = options.fileName ?? 'weights.h5';
  if (options.arch !== undefined && !(builtinArchitectures as readonly string[]).includes(options.arch)) {
    throw new ModelFormatError(file, `architecture "${options.arch}": Keras .h5 files are read as VGGs (${builtinArchitectures.join(', ')})`);
  }
  if (!hasHdf5Signature(options.bytes)) throw new ModelFormatError(file, 'is not an HDF5 file (no HDF5 signature): not a Keras .h5 weights file, or corrupt');
  const module = await h5wasm.ready;
  const { FS } = module;
  // h5wasm opens files by path in its own in-memory file system; a fresh name per call keeps concurrent loads apart.
  const path = `/keras-h5-${++openFiles}.h5`;
  FS!.writeFile(path, options.bytes);
  let h5: InstanceType<typeof h5wasm.File> | undefined;
  // HDF5 prints its whole error stack to stderr by default; thrown instead, it becomes one line of our message. Set
  // and reset around this synchronous section only, so no other h5wasm user sees the change.
  module.activate_throwing_error_handler();
  try {
    h5 = new h5wasm.File(path, 'r');
    let root: Group = h5;
    const modelWeights = stringListAttribute(root, 'layer_names') === null ? root.get('model_weights') : null;
    if (modelWeights instanceof h5wasm.Group) root = modelWeights; // a whole-model `save`: the weights sit in this group
    const backend = textAttribute(root, 'backend');
    if (backend === 'theano') {
      throw new ModelFormatError(file, 'holds Theano-ordered kernels (backend "theano"); use the *_tf_dim_ordering_tf_kernels.h5 file');
    }
    return buildModel(kerasLayerWeights(root, file), options, file);
  } catch (error) {
    // h5wasm reports a damaged file as plain strings or Errors from deep inside HDF5; name the file instead.
    if (error instanceof ModelFormatError) throw error;
    if (error instanceof ModelWeightsError || error instanceof ModelShapeError) throw new ModelFormatError(file, error.message);
    throw new ModelFormatError(file, `cannot be read as HDF5 (${hdf5Reason(error)}): truncated or corrupt`);
  } finally {
    try {
      h5?.close();
    } catch {
      // a file that failed to open half-way may not close cleanly; its memory goes with the unlink
    }
    module.deactivate_throwing_error_handler();
    FS!.unlink(path);
  }
}

function buildModel(weights: KerasLayerWeights[], options: KerasH5Options, file: string): Model {
  const convs = weights.filter((w) => w.kernel.shape.length === 4);
  const denses = weights.filter((w) => w.kernel.shape.length === 2);
  const odd = weights.find((w) => w.kernel.shape.length !== 4 && w.kernel.shape.length !== 2);
  if (odd) throw new ModelFormatError(file, `dataset ${odd.kernel.path} has shape ${JSON.stringify(odd.kernel.shape)}: neither a conv nor a dense kernel`);
  if (weights.findIndex((w) => w.kernel.shape.length === 2) < convs.length && denses.length > 0) {
    throw new ModelFormatError(file, 'has a dense layer before a convolution: not a VGG');
  }
  if (denses.length === 0) {
    throw new ModelFormatError(file, 'has no fully connected layers: an include_top=False ("notop") file cannot classify; use the file with the top');
  }
  let architecture = options.architecture;
  if (!architecture) {
    try {
      architecture = vggArchitectureFromShapes(
        { convOutChannels: convs.map((c) => c.kernel.shape[3]), dense: denses.map((d) => [d.kernel.shape[1], d.kernel.shape[0]] as [number, number]) },
        options.arch === undefined ? undefined : vggDepth(options.arch as BuiltinArchitecture),
      );
    } catch (error) {
      if (error instanceof VggShapeError) throw new ModelFormatError(file, error.message);
      throw error;
    }
  }
  const graph = graphOf(architecture);
  let conv = 0;
  let dense = 0;
  const nodes: GraphNode[] = architecture.nodes.map((spec): GraphNode => {
    if (spec.kind === 'conv2d') {
      const source = convs[conv++];
      if (!source) throw new ModelFormatError(file, `has ${convs.length} convolutions; ${architecture.name} needs more`);
      const { kernel: k, inChannels: c, outChannels: o } = spec;
      expectShape(source.kernel, [k, k, c, o], file);
      expectShape(source.bias, [o], file);
      const hwio = values(source.kernel, file);
      const weight = new Float32Array(hwio.length);
      for (let ky = 0; ky < k; ky++)
        for (let kx = 0; kx < k; kx++)
          for (let i = 0; i < c; i++)
            for (let oc = 0; oc < o; oc++) weight[((oc * c + i) * k + ky) * k + kx] = hwio[((ky * k + kx) * c + i) * o + oc];
      return { ...spec, weight, bias: values(source.bias, file) };
    }
    if (spec.kind === 'dense') {
      const source = denses[dense++];
      if (!source) throw new ModelFormatError(file, `has ${denses.length} dense layers; ${architecture.name} needs more`);
      const { inFeatures: n, outFeatures: o } = spec;
      expectShape(source.kernel, [n, o], file);
      expectShape(source.bias, [o], file);
      const io = values(source.kernel, file);
      // The dense layer right after flatten reads Keras's channels-last (y, x, c) features; ours are CHW.
      const below = graph.producers.get(spec.inputs[0]);
      const flattened = below?.kind === 'flatten' ? graph.shapes.get(below.inputs[0])! : null;
      const plane = flattened ? flattened.height * flattened.width : 1;
      const weight = new Float32Array(io.length);
      for (let f = 0; f < n; f++) {
        const row = flattened ? (f % plane) * flattened.channels + Math.floor(f / plane) : f;
        for (let oc = 0; oc < o; oc++) weight[oc * n + f] = io[row * o + oc];
      }
      return { ...spec, weight, bias: values(source.bias, file) };
    }
    // Only conv and dense weights have a place in these files; any other op with weights would be left without them.
    if (hasWeights(spec)) throw new ModelFormatError(file, `${spec.name}: ${spec.kind} weights are not read from Keras .h5 files`);
    return spec;
  });
  const extra = [...convs.slice(conv), ...denses.slice(dense)];
  if (extra.length > 0) throw new ModelFormatError(file, `layers ${extra.map((e) => e.layer).join(', ')} belong to no ${architecture.name} layer`);

  const classes = graph.shapes.get(architecture.output)!.channels;
  const model: Model = {
    name: architecture.name,
    input: architecture.input,
    preprocess: options.preprocess ?? { ...caffePreprocess, width: architecture.input.width, height: architecture.input.height },
    nodes,
    output: architecture.output,
    labels: options.labels ?? (classes === 1000 ? [...imagenetLabels] : Array.from({ length: classes }, (_, i) => `class ${i}`)),
  };
  const badPreprocess = preprocessProblem(model.preprocess);
  if (badPreprocess) throw new ModelFormatError(file, badPreprocess);
  validateModel(model);
  return model;
}
