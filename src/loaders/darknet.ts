/**
 * darknet `.cfg` + `.weights` (Tiny Darknet and other VGG-like darknet classifiers).
 * Supported sections: [net], [convolutional] (batch norm folded), [maxpool], [avgpool], [connected], [dropout],
 * [softmax], [cost]; anything else is rejected by name and line.
 */
import type { Activation, Layer } from '../ops/layers.ts';
import { chain, layerOutputShape, validateModel, type Model } from '../graph/model.ts';
import { darknetPreprocess } from '../model/preprocess.ts';
import type { TensorShape } from '../model/shapes.ts';
import { foldBatchNorm, ModelFormatError, namingFile, readFloat32 } from './format-error.ts';
import { limits } from './limits.ts';

interface Section {
  type: string;
  line: number;
  options: Map<string, string>;
}

export function parseDarknetCfg(text: string, file = 'cfg'): Section[] {
  const sections: Section[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) return;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      sections.push({ type: header[1], line: index + 1, options: new Map() });
      return;
    }
    const pair = /^([\w.]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) throw new ModelFormatError(file, `line ${index + 1} is neither a [section] nor key=value: "${raw.trim()}"`);
    if (sections.length === 0) throw new ModelFormatError(file, `line ${index + 1}: "${pair[1]}" comes before any [section]`);
    sections[sections.length - 1].options.set(pair[1], pair[2].trim());
  });
  if (sections[0]?.type !== 'net' && sections[0]?.type !== 'network') {
    throw new ModelFormatError(file, 'a darknet cfg starts with a [net] section; this file does not');
  }
  return sections;
}

/**
 * The ranges of the options read: sizes, strides and counts are positive, flags 0 or 1. Written as plain decimal digits
 * only (darknet's atoi would read "0x10" as 0 and "16abc" as 16; neither is what the author meant).
 */
const optionRanges: Record<string, [number, number]> = {
  width: [1, limits.side],
  height: [1, limits.side],
  channels: [1, limits.channels],
  filters: [1, limits.channels],
  size: [1, limits.side],
  stride: [1, limits.side],
  pad: [0, 1],
  padding: [0, limits.side],
  groups: [1, limits.channels],
  batch_normalize: [0, 1],
  output: [1, limits.features],
};

function intOption(section: Section, key: string, fallback: number | undefined, file: string): number {
  const value = section.options.get(key);
  if (value === undefined) {
    if (fallback === undefined) throw new ModelFormatError(file, `[${section.type}] at line ${section.line} needs ${key}=`);
    return fallback;
  }
  const [min, max] = optionRanges[key] ?? [0, limits.features];
  const number = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) {
    throw new ModelFormatError(file, `[${section.type}] at line ${section.line}: ${key}=${value} is not ${min === 0 && max === 1 ? '0 or 1' : `an integer from ${min} to ${max}`}`);
  }
  return number;
}

function activationOption(section: Section, file: string): Activation {
  const value = section.options.get('activation') ?? 'logistic';
  if (value === 'leaky' || value === 'relu' || value === 'linear') return value;
  throw new ModelFormatError(
    file,
    `[${section.type}] at line ${section.line}: activation=${value} is not supported (leaky, relu and linear are)`,
  );
}

export interface DarknetFiles {
  cfg: string;
  weights: Uint8Array;
  /** Class names in output order (darknet's names list); default "class i". */
  labels?: string[];
  cfgName?: string;
  weightsName?: string;
  name?: string;
}

/** Builds a validated model from a darknet cfg and weights; the weights must be exactly as long as the cfg needs. */
export function loadDarknet(files: DarknetFiles): Model {
  return namingFile({ shapes: files.cfgName ?? 'cfg', weights: files.weightsName ?? 'weights' }, () => readDarknet(files));
}

function readDarknet(files: DarknetFiles): Model {
  const cfgName = files.cfgName ?? 'cfg';
  const weightsName = files.weightsName ?? 'weights';
  const sections = parseDarknetCfg(files.cfg, cfgName);
  const net = sections[0];
  const input: TensorShape = {
    channels: intOption(net, 'channels', 3, cfgName),
    height: intOption(net, 'height', undefined, cfgName),
    width: intOption(net, 'width', undefined, cfgName),
  };
  if (input.channels !== 3) throw new ModelFormatError(cfgName, `[net] channels=${input.channels}: only RGB (3) inputs are supported`);

  const bytes = files.weights;
  if (bytes.byteLength < 16) throw new ModelFormatError(weightsName, `is ${bytes.byteLength} bytes, shorter than a darknet header`);
  const header = new DataView(bytes.buffer, bytes.byteOffset, 20 <= bytes.byteLength ? 20 : 16);
  const major = header.getInt32(0, true);
  const minor = header.getInt32(4, true);
  if (major < 0 || major > 1000 || minor < 0 || minor > 1000) {
    throw new ModelFormatError(weightsName, `header version ${major}.${minor} is not a darknet weights version: not a darknet .weights file`);
  }
  // darknet writes `seen` as size_t from version 0.2 on, as int before.
  const headerBytes = major * 10 + minor >= 2 ? 20 : 16;
  let offset = headerBytes;
  const take = (count: number, what: string): Float32Array => {
    if (offset + count * 4 > bytes.byteLength) {
      throw new ModelFormatError(
        weightsName,
        `ends at byte ${bytes.byteLength} while reading ${what} (needs ${count * 4} bytes from byte ${offset}): ` +
          `the file is truncated or belongs to a different cfg than ${cfgName}`,
      );
    }
    const values = readFloat32(bytes, offset, count);
    offset += count * 4;
    return values;
  };

  const layers: Layer[] = [];
  let shape = input;
  const counters = new Map<string, number>();
  const nameFor = (kind: string) => {
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    return `${kind}${n}`;
  };
  const push = (layer: Layer) => {
    layers.push(layer);
    shape = layerOutputShape(layer, shape);
  };

  for (const section of sections.slice(1)) {
    const where = `[${section.type}] at line ${section.line}`;
    switch (section.type) {
      case 'convolutional':
      case 'conv': {
        const filters = intOption(section, 'filters', 1, cfgName);
        const size = intOption(section, 'size', 1, cfgName);
        const stride = intOption(section, 'stride', 1, cfgName);
        const padding = intOption(section, 'pad', 0, cfgName) ? Math.floor(size / 2) : intOption(section, 'padding', 0, cfgName);
        if (intOption(section, 'groups', 1, cfgName) !== 1) throw new ModelFormatError(cfgName, `${where}: grouped convolutions are not supported`);
        const name = nameFor('conv');
        let bias = take(filters, `${name} biases`);
        const batchNorm = intOption(section, 'batch_normalize', 0, cfgName) === 1;
        const norm = batchNorm
          ? { scale: take(filters, `${name} scales`), mean: take(filters, `${name} rolling mean`), variance: take(filters, `${name} rolling variance`) }
          : null;
        const weight = take(filters * shape.channels * size * size, `${name} weights`);
        if (norm) {
          // Under batch norm darknet's "biases" are the norm's shift and the conv itself has no bias.
          const shift = bias;
          bias = new Float32Array(filters);
          foldBatchNorm(weight, bias, { ...norm, shift }, (variance) => Math.sqrt(variance) + 1e-6);
        }
        push({
          kind: 'conv2d',
          name,
          kernel: size,
          stride,
          padding,
          inChannels: shape.channels,
          outChannels: filters,
          activation: activationOption(section, cfgName),
          weight,
          bias,
        });
        break;
      }
      case 'maxpool': {
        const stride = intOption(section, 'stride', 1, cfgName);
        const size = intOption(section, 'size', stride, cfgName);
        const darknetOut = (n: number) => Math.floor((n - 1) / stride) + 1;
        const ours = (n: number) => Math.floor((n - size) / stride) + 1;
        if (darknetOut(shape.width) !== ours(shape.width) || darknetOut(shape.height) !== ours(shape.height)) {
          throw new ModelFormatError(
            cfgName,
            `${where}: darknet pads this ${size}×${size}/${stride} max-pool over a ${shape.width}×${shape.height} input, which is not supported`,
          );
        }
        push({ kind: 'maxpool', name: nameFor('pool'), size, stride });
        break;
      }
      case 'avgpool':
        push({ kind: 'globalAvgPool', name: nameFor('avgpool') });
        break;
      case 'connected': {
        if (shape.height !== 1 || shape.width !== 1) push({ kind: 'flatten', name: nameFor('flatten') });
        const outputs = intOption(section, 'output', 1, cfgName);
        const name = nameFor('fc');
        const bias = take(outputs, `${name} biases`);
        const weight = take(outputs * shape.channels, `${name} weights`);
        if (intOption(section, 'batch_normalize', 0, cfgName) === 1) {
          throw new ModelFormatError(cfgName, `${where}: batch norm on connected layers is not supported`);
        }
        push({ kind: 'dense', name, inFeatures: shape.channels, outFeatures: outputs, activation: activationOption(section, cfgName), weight, bias });
        break;
      }
      case 'softmax':
        if (intOption(section, 'groups', 1, cfgName) !== 1) throw new ModelFormatError(cfgName, `${where}: grouped softmax is not supported`);
        push({ kind: 'softmax', name: 'softmax' });
        break;
      case 'dropout':
      case 'cost':
        break;
      default:
        throw new ModelFormatError(cfgName, `${where}: layer type [${section.type}] is not supported`);
    }
  }
  if (offset !== bytes.byteLength) {
    throw new ModelFormatError(
      weightsName,
      `has ${bytes.byteLength - offset} bytes left over after the ${(offset - headerBytes) / 4} weights that ${cfgName} needs: ` +
        'it belongs to a different cfg',
    );
  }

  const classes = shape.channels;
  const labels = files.labels ?? Array.from({ length: classes }, (_, i) => `class ${i}`);
  if (labels.length !== classes) {
    throw new ModelFormatError(files.cfgName ?? 'labels', `the model has ${classes} classes but ${labels.length} labels were given`);
  }
  const model: Model = {
    name: files.name ?? cfgName.replace(/\.cfg$/, ''),
    input,
    preprocess: darknetPreprocess(input.width, input.height),
    ...chain(layers),
    labels,
  };
  validateModel(model);
  return model;
}
