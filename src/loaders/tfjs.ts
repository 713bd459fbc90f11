/**
 * TensorFlow.js layers-model (`model.json` + binary shards): TinyVGG from CNN Explainer, and Keras VGG16/VGG19 exported
 * with the tfjs converter. Sequential and linear functional models; Conv2D, Dense, MaxPooling2D, Flatten,
 * GlobalAveragePooling2D, Activation/ReLU/Softmax, BatchNormalization (folded), Dropout and InputLayer.
 */
import { tinyVggLabels } from '../labels/tiny-vgg.ts';
import { imagenetLabels } from '../labels/imagenet.ts';
import type { Activation, Layer } from '../ops/layers.ts';
import { chain, layerOutputShape, validateModel, type Model } from '../graph/model.ts';
import { caffePreprocess, cnnExplainerPreprocess, type Preprocess } from '../model/preprocess.ts';
import { isVector, type TensorShape } from '../model/shapes.ts';
import { preprocessProblem } from '../model/preprocess-check.ts';
import { foldBatchNorm, ModelFormatError, namingFile } from './format-error.ts';
import { integerIn, limits, tensorElements } from './limits.ts';
import { checkReferencedPath } from './model-paths.ts';

interface WeightEntry {
  name: string;
  shape: number[];
  /** Elements, checked: every dimension a non-negative integer, the whole within a tensor's limit. */
  count: number;
  bytes: number;
}

interface ManifestGroup {
  paths: string[];
  weights: WeightEntry[];
  /** What the group's shards hold together, by the manifest. */
  bytes: number;
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes?: unknown[];
}

export interface TfjsFiles {
  modelJson: string;
  /** Shard bytes by the path written in the manifest. */
  shards: Map<string, Uint8Array>;
  modelJsonName?: string;
  labels?: string[];
  preprocess?: Preprocess;
  name?: string;
}

/** The shards of one weight group and the bytes they must hold together, so readers can cap what they read. */
export interface TfjsShardGroup {
  paths: string[];
  bytes: number;
}

/**
 * The shard groups the manifest asks for, checked (every path a plain relative path inside the model's folder, every
 * weight's shape and dtype valid), so callers know exactly which files to read and how many bytes they may hold.
 */
export function tfjsShardGroups(modelJson: string, file = 'model.json'): TfjsShardGroup[] {
  return manifestOf(parseJson(modelJson, file), file).map(({ paths, bytes }) => ({ paths, bytes }));
}

/** Shard paths the manifest asks for, so callers know which files to read. */
export function tfjsShardPaths(modelJson: string, file = 'model.json'): string[] {
  return tfjsShardGroups(modelJson, file).flatMap((g) => g.paths);
}

function parseJson(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelFormatError(file, `is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(value)) throw new ModelFormatError(file, 'is not a JSON object: not a TensorFlow.js model.json');
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const dtypeBytes: Record<string, number> = { float32: 4 };

function manifestOf(json: Record<string, unknown>, file: string): ManifestGroup[] {
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw new ModelFormatError(file, 'has no weightsManifest: not a TensorFlow.js layers model');
  const names = new Set<string>();
  return manifest.map((group: unknown, g): ManifestGroup => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelFormatError(file, 'weightsManifest entries need "paths" and "weights" lists');
    }
    const paths = group.paths.map((path, i) => checkReferencedPath(path, file, `weightsManifest[${g}].paths[${i}]`));
    const weights = group.weights.map((entry: unknown, i): WeightEntry => {
      const where = `weightsManifest[${g}].weights[${i}]`;
      if (!isObject(entry)) throw new ModelFormatError(file, `${where} is ${JSON.stringify(entry)}, not a weight entry`);
      const { name, dtype } = entry;
      if (typeof name !== 'string' || name.length === 0) throw new ModelFormatError(file, `${where}.name is ${JSON.stringify(name) ?? 'missing'}; it must be a non-empty string`);
      if (names.has(name)) throw new ModelFormatError(file, `weight ${name} is listed twice`);
      names.add(name);
      if (entry.quantization) throw new ModelFormatError(file, `weight ${name} is quantized, which is not supported`);
      const size = typeof dtype === 'string' && Object.hasOwn(dtypeBytes, dtype) ? dtypeBytes[dtype] : 0;
      if (!size) throw new ModelFormatError(file, `weight ${name} has dtype ${JSON.stringify(dtype) ?? 'missing'}; only float32 is supported`);
      const count = tensorElements(entry.shape, size, file, `weight ${name}`);
      return { name, shape: entry.shape as number[], count, bytes: count * size };
    });
    return { paths, weights, bytes: weights.reduce((sum, w) => sum + w.bytes, 0) };
  });
}

/** Every weight tensor by name (with any ":0" suffix dropped), checked against the shard sizes. */
function readWeights(manifest: ManifestGroup[], shards: Map<string, Uint8Array>, file: string): Map<string, { shape: number[]; values: Float32Array }> {
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const group of manifest) {
    const parts = group.paths.map((path) => {
      const shard = shards.get(path);
      if (!shard) throw new ModelFormatError(file, `weight shard "${path}" is missing: put it beside ${file}`);
      return shard;
    });
    const total = parts.reduce((sum, p) => sum + p.byteLength, 0);
    if (total > group.bytes) {
      throw new ModelFormatError(file, `shards ${group.paths.join(', ')} hold ${total - group.bytes} bytes more than the manifest lists: wrong shard files`);
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.byteLength;
    }
    let offset = 0;
    for (const entry of group.weights) {
      if (offset + entry.bytes > total) {
        throw new ModelFormatError(
          file,
          `shards ${group.paths.join(', ')} hold ${total} bytes but weight ${entry.name} ${JSON.stringify(entry.shape)} ends at byte ${offset + entry.bytes}: a shard is truncated`,
        );
      }
      const values = new Float32Array(bytes.buffer.slice(offset, offset + entry.bytes));
      tensors.set(entry.name.replace(/:\d+$/, ''), { shape: entry.shape, values });
      offset += entry.bytes;
    }
  }
  return tensors;
}

/** The layers of the topology, each checked to be a layer with a class name and a named config. */
function kerasLayersOf(json: Record<string, unknown>, file: string): { layers: KerasLayer[]; name: unknown } {
  const topology = json.modelTopology;
  const modelConfig = isObject(topology) ? topology.model_config : undefined;
  const config = isObject(modelConfig) ? modelConfig.config : undefined;
  const list = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(list) || list.length === 0) throw new ModelFormatError(file, 'modelTopology has no layers');
  const layers = list.map((layer: unknown, i): KerasLayer => {
    const where = `modelTopology layer ${i}`;
    if (!isObject(layer)) throw new ModelFormatError(file, `${where} is ${JSON.stringify(layer)}, not a layer`);
    if (typeof layer.class_name !== 'string') throw new ModelFormatError(file, `${where} has no class_name`);
    if (!isObject(layer.config)) throw new ModelFormatError(file, `${where} (${layer.class_name}) has no config object`);
    if (typeof layer.config.name !== 'string' || layer.config.name.length === 0) throw new ModelFormatError(file, `${where} (${layer.class_name}) has no name in its config`);
    return layer as unknown as KerasLayer;
  });
  return { layers, name: isObject(config) ? config.name : undefined };
}

/** Names of the layers feeding `layer` in a functional model (Keras 2 and Keras 3 formats); null when not recorded. */
function inboundLayerNames(layer: KerasLayer): string[] | null {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return null;
  if (nodes.length > 1) return ['(several calls)'];
  const node = nodes[0] as unknown;
  if (Array.isArray(node)) return node.map((entry) => String(Array.isArray(entry) ? entry[0] : entry));
  const args = isObject(node) && Array.isArray(node.args) ? node.args : [];
  return args.flatMap((arg) => {
    const history = isObject(arg) && isObject(arg.config) ? arg.config.keras_history : undefined;
    return Array.isArray(history) ? [String(history[0])] : [];
  });
}

function pair(value: unknown, what: string, file: string): [number, number] {
  const v = Array.isArray(value) ? value : [value, value];
  if (v.length !== 2 || !v.every((n) => Number.isInteger(n) && n >= 1 && n <= limits.side)) {
    throw new ModelFormatError(file, `${what} ${JSON.stringify(value) ?? String(value)} is not a pair of positive integers (at most ${limits.side})`);
  }
  return v as [number, number];
}

function square(value: unknown, what: string, layer: string, file: string): number {
  const [a, b] = pair(value, `${layer}: ${what}`, file);
  if (a !== b) throw new ModelFormatError(file, `${layer}: non-square ${what} ${a}×${b} is not supported`);
  return a;
}

function kerasActivation(value: unknown, layer: string, file: string): Activation | 'softmax' {
  if (value === undefined || value === 'linear') return 'linear';
  if (value === 'relu' || value === 'softmax') return value;
  throw new ModelFormatError(file, `${layer}: activation "${String(value)}" is not supported (linear, relu, softmax are)`);
}

/** Builds a validated model from a tfjs layers model; every tensor's shape is checked against its layer. */
export function loadTfjs(files: TfjsFiles): Model {
  const file = files.modelJsonName ?? 'model.json';
  return namingFile({ shapes: file, weights: file }, () => readTfjs(files));
}

function readTfjs(files: TfjsFiles): Model {
  const file = files.modelJsonName ?? 'model.json';
  const json = parseJson(files.modelJson, file);
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new ModelFormatError(file, `format is "${String(json.format)}"; only tfjs layers models are supported (not graph models)`);
  }
  const { layers: kerasLayers, name: configName } = kerasLayersOf(json, file);
  const tensors = readWeights(manifestOf(json, file), files.shards, file);
  const used = new Set<string>();
  const tensor = (layer: string, what: string, shape: number[]): Float32Array => {
    const key = [...tensors.keys()].find((k) => k === `${layer}/${what}` || k.endsWith(`/${layer}/${what}`));
    const found = key === undefined ? undefined : tensors.get(key);
    if (!found) throw new ModelFormatError(file, `weight ${layer}/${what} is missing from the manifest`);
    if (found.shape.length !== shape.length || found.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFormatError(file, `weight ${layer}/${what} has shape ${JSON.stringify(found.shape)}, the layer needs ${JSON.stringify(shape)}`);
    }
    used.add(key!);
    return found.values;
  };

  const first = kerasLayers[0].config as { batch_input_shape?: unknown[]; batch_shape?: unknown[] };
  const batchShape = first.batch_input_shape ?? first.batch_shape;
  if (!Array.isArray(batchShape) || batchShape.length !== 4) throw new ModelFormatError(file, 'the first layer has no 4-D batch_input_shape');
  const height = integerIn(batchShape[1], 1, limits.side, file, 'the input height (batch_input_shape[1])');
  const width = integerIn(batchShape[2], 1, limits.side, file, 'the input width (batch_input_shape[2])');
  const channels = batchShape[3];
  if (channels !== 3) throw new ModelFormatError(file, `input has ${JSON.stringify(channels)} channels; only RGB (3) is supported`);
  const input: TensorShape = { channels, height, width };

  const layers: Layer[] = [];
  let shape = input;
  // Channels-last shape before the last flatten, to reorder the next dense layer's inputs into CHW order.
  let flattenedFrom: TensorShape | null = null;
  const push = (layer: Layer) => {
    layers.push(layer);
    shape = layerOutputShape(layer, shape);
  };
  const pushActivation = (activation: Activation | 'softmax', name: string) => {
    if (activation === 'linear') return;
    const last = layers[layers.length - 1];
    if (activation === 'softmax') push({ kind: 'softmax', name });
    else if (last && (last.kind === 'conv2d' || last.kind === 'dense') && last.activation === 'linear') last.activation = activation;
    else throw new ModelFormatError(file, `${name}: a ${activation} that does not follow a conv or dense layer is not supported`);
  };

  kerasLayers.forEach((layer, index) => {
    const inbound = inboundLayerNames(layer);
    if (inbound !== null && index > 0 && (inbound.length !== 1 || inbound[0] !== kerasLayers[index - 1].config.name)) {
      throw new ModelFormatError(file, `${layer.config.name} takes ${inbound.join(' + ') || 'no input'}: only linear chains of layers are supported`);
    }
  });
  for (const { class_name: kind, config: c } of kerasLayers) {
    const name = c.name;
    if (c.data_format !== undefined && c.data_format !== 'channels_last') {
      throw new ModelFormatError(file, `${name}: data_format ${String(c.data_format)} is not supported`);
    }
    switch (kind) {
      case 'InputLayer':
      case 'Dropout':
        break;
      case 'Conv2D': {
        const kernel = square(c.kernel_size, 'kernel', name, file);
        const stride = square(c.strides ?? 1, 'strides', name, file);
        if (square(c.dilation_rate ?? 1, 'dilation', name, file) !== 1) throw new ModelFormatError(file, `${name}: dilated convolutions are not supported`);
        if (c.padding === 'same' && stride !== 1) throw new ModelFormatError(file, `${name}: "same" padding with stride ${stride} is asymmetric in Keras and not supported`);
        if (c.padding === 'same' && kernel % 2 === 0) throw new ModelFormatError(file, `${name}: "same" padding with an even kernel is asymmetric and not supported`);
        const padding = c.padding === 'same' ? (kernel - 1) / 2 : 0;
        const filters = integerIn(c.filters, 1, limits.channels, file, `${name}: filters`);
        const hwio = tensor(name, 'kernel', [kernel, kernel, shape.channels, filters]);
        const weight = new Float32Array(hwio.length);
        for (let ky = 0; ky < kernel; ky++)
          for (let kx = 0; kx < kernel; kx++)
            for (let i = 0; i < shape.channels; i++)
              for (let o = 0; o < filters; o++) {
                weight[((o * shape.channels + i) * kernel + ky) * kernel + kx] = hwio[((ky * kernel + kx) * shape.channels + i) * filters + o];
              }
        const bias = c.use_bias === false ? new Float32Array(filters) : Float32Array.from(tensor(name, 'bias', [filters]));
        push({ kind: 'conv2d', name, kernel, stride, padding, inChannels: shape.channels, outChannels: filters, activation: 'linear', weight, bias });
        pushActivation(kerasActivation(c.activation, name, file), `${name}_activation`);
        break;
      }
      case 'BatchNormalization': {
        const last = layers[layers.length - 1];
        if (last?.kind !== 'conv2d' || last.activation !== 'linear') {
          throw new ModelFormatError(file, `${name}: batch norm is supported only right after a conv layer without activation`);
        }
        const n = last.outChannels;
        const epsilon = c.epsilon ?? 1e-3;
        if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
          throw new ModelFormatError(file, `${name}: epsilon ${JSON.stringify(epsilon)} is not a non-negative number`);
        }
        const ones = new Float32Array(n).fill(1);
        foldBatchNorm(
          last.weight,
          last.bias,
          {
            scale: c.scale === false ? ones : tensor(name, 'gamma', [n]),
            shift: c.center === false ? new Float32Array(n) : tensor(name, 'beta', [n]),
            mean: tensor(name, 'moving_mean', [n]),
            variance: tensor(name, 'moving_variance', [n]),
          },
          (variance) => Math.sqrt(variance + epsilon),
        );
        break;
      }
      case 'Activation':
        pushActivation(kerasActivation(c.activation, name, file), name);
        break;
      case 'ReLU':
        if (c.max_value != null || (c.negative_slope as number) > 0 || (c.threshold as number) > 0) {
          throw new ModelFormatError(file, `${name}: only the plain ReLU is supported`);
        }
        pushActivation('relu', name);
        break;
      case 'Softmax':
        pushActivation('softmax', name);
        break;
      case 'MaxPooling2D': {
        const size = square(c.pool_size, 'pool_size', name, file);
        const stride = square(c.strides ?? c.pool_size, 'strides', name, file);
        if (c.padding === 'same' && shape.width % stride + shape.height % stride !== 0) {
          throw new ModelFormatError(file, `${name}: "same" pooling over a size that the stride does not divide is not supported`);
        }
        push({ kind: 'maxpool', name, size, stride });
        break;
      }
      case 'GlobalAveragePooling2D':
        push({ kind: 'globalAvgPool', name });
        break;
      case 'Flatten':
        flattenedFrom = shape;
        push({ kind: 'flatten', name });
        break;
      case 'Dense': {
        if (!isVector(shape)) throw new ModelFormatError(file, `${name}: Dense on a spatial tensor needs a Flatten first`);
        const units = integerIn(c.units, 1, limits.features, file, `${name}: units`);
        const io = tensor(name, 'kernel', [shape.channels, units]);
        const weight = new Float32Array(io.length);
        const source = flattenedFrom;
        for (let i = 0; i < shape.channels; i++) {
          // Keras flattens channels-last (y, x, c); our features are CHW.
          let from = i;
          if (source) {
            const c0 = Math.floor(i / (source.height * source.width));
            const p = i % (source.height * source.width);
            from = p * source.channels + c0;
          }
          for (let o = 0; o < units; o++) weight[o * shape.channels + i] = io[from * units + o];
        }
        flattenedFrom = null;
        const bias = c.use_bias === false ? new Float32Array(units) : Float32Array.from(tensor(name, 'bias', [units]));
        push({ kind: 'dense', name, inFeatures: shape.channels, outFeatures: units, activation: 'linear', weight, bias });
        pushActivation(kerasActivation(c.activation, name, file), `${name}_softmax`);
        break;
      }
      default:
        throw new ModelFormatError(file, `layer ${name} of class ${kind} is not supported`);
    }
  }
  const unused = [...tensors.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) throw new ModelFormatError(file, `weights ${unused.join(', ')} belong to no supported layer`);

  const classes = shape.channels;
  const modelName = files.name ?? (typeof configName === 'string' && configName !== '' ? configName : 'tfjs-model');
  const isTinyVgg = classes === 10 && layers.some((l) => l.name === 'conv_1_1') && width === 64;
  const isKerasVgg = /^vgg(16|19)$/.test(modelName) && classes === 1000;
  const labels =
    files.labels ??
    (isTinyVgg ? [...tinyVggLabels] : classes === 1000 ? [...imagenetLabels] : Array.from({ length: classes }, (_, i) => `class ${i}`));
  const preprocess = files.preprocess ?? (isKerasVgg ? { ...caffePreprocess, width, height } : cnnExplainerPreprocess(width, height));
  const badPreprocess = preprocessProblem(preprocess);
  if (badPreprocess) throw new ModelFormatError(file, badPreprocess);
  const model: Model = { name: isTinyVgg && !files.name ? 'tiny-vgg' : modelName, input, preprocess, ...chain(layers), labels };
  validateModel(model);
  return model;
}
