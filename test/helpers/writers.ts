/**
 * Writers for each checkpoint format, in exactly the layout that format's own tools produce, so loader tests run on
 * seeded synthetic files rather than checked-in fixtures.
 */
import type { Conv2dLayer, DenseLayer, Layer } from '../../src/ops/layers.ts';
import { chainShapes, type Model } from '../../src/graph/model.ts';


function floatBytes(...arrays: Float32Array[]): Uint8Array {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return new Uint8Array(out.buffer);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export interface DarknetBatchNorm {
  scales: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

/** darknet cfg + weights (version 0.1, 16-byte header) for a model of conv/maxpool/avgpool/connected/softmax layers. */
export function writeDarknet(model: Model, batchNorm: Map<string, DarknetBatchNorm> = new Map()): { cfg: string; weights: Uint8Array } {
  const lines = ['[net]', `width=${model.input.width}`, `height=${model.input.height}`, `channels=${model.input.channels}`, ''];
  const chunks: Float32Array[] = [];
  for (const layer of model.nodes) {
    if (layer.kind === 'conv2d') {
      const norm = batchNorm.get(layer.name);
      lines.push('[convolutional]', ...(norm ? ['batch_normalize=1'] : []), `filters=${layer.outChannels}`, `size=${layer.kernel}`, `stride=${layer.stride}`);
      lines.push(layer.padding === Math.floor(layer.kernel / 2) ? 'pad=1' : `padding=${layer.padding}`, `activation=${layer.activation}`, '');
      chunks.push(layer.bias);
      if (norm) chunks.push(norm.scales, norm.mean, norm.variance);
      chunks.push(layer.weight);
    } else if (layer.kind === 'maxpool') {
      lines.push('[maxpool]', `size=${layer.size}`, `stride=${layer.stride}`, '');
    } else if (layer.kind === 'globalAvgPool') {
      lines.push('[avgpool]', '');
    } else if (layer.kind === 'dense') {
      lines.push('[connected]', `output=${layer.outFeatures}`, `activation=${layer.activation}`, '');
      chunks.push(layer.bias, layer.weight);
    } else if (layer.kind === 'softmax') {
      lines.push('[softmax]', 'groups=1', '');
    }
  }
  const header = new Uint8Array(new Int32Array([0, 1, 0, 1234]).buffer);
  return { cfg: lines.join('\n'), weights: concat(header, floatBytes(...chunks)) };
}

/** A Keras-style tfjs layers model (Sequential, HWIO kernels, channels-last flatten), split over two shards. */
export function writeTfjs(model: Model): { modelJson: string; shards: Map<string, Uint8Array> } {
  const shapes = chainShapes(model.input, model.nodes);
  const kerasLayers: unknown[] = [];
  const weights: { name: string; shape: number[]; dtype: string }[] = [];
  const data: Float32Array[] = [];
  model.nodes.forEach((layer: Layer, i) => {
    const inShape = shapes[i];
    const first = i === 0 ? { batch_input_shape: [null, model.input.height, model.input.width, model.input.channels] } : {};
    if (layer.kind === 'conv2d') {
      const { kernel: k, inChannels: c, outChannels: o } = layer as Conv2dLayer;
      const hwio = new Float32Array(layer.weight.length);
      for (let oc = 0; oc < o; oc++)
        for (let ic = 0; ic < c; ic++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) hwio[((ky * k + kx) * c + ic) * o + oc] = layer.weight[((oc * c + ic) * k + ky) * k + kx];
      if (layer.padding !== 0 && layer.padding * 2 + 1 !== k) throw new Error('keras has only valid and same padding');
      kerasLayers.push({
        class_name: 'Conv2D',
        config: { ...first, name: layer.name, filters: o, kernel_size: [k, k], strides: [layer.stride, layer.stride], padding: layer.padding ? 'same' : 'valid', data_format: 'channels_last', activation: 'linear', use_bias: true },
      });
      if (layer.activation !== 'linear') kerasLayers.push({ class_name: 'Activation', config: { name: `${layer.name}_act`, activation: layer.activation } });
      weights.push({ name: `${layer.name}/kernel`, shape: [k, k, c, o], dtype: 'float32' }, { name: `${layer.name}/bias`, shape: [o], dtype: 'float32' });
      data.push(hwio, layer.bias);
    } else if (layer.kind === 'maxpool') {
      kerasLayers.push({ class_name: 'MaxPooling2D', config: { name: layer.name, pool_size: [layer.size, layer.size], strides: [layer.stride, layer.stride], padding: 'valid', data_format: 'channels_last' } });
    } else if (layer.kind === 'flatten') {
      kerasLayers.push({ class_name: 'Flatten', config: { name: layer.name, data_format: 'channels_last' } });
    } else if (layer.kind === 'globalAvgPool') {
      kerasLayers.push({ class_name: 'GlobalAveragePooling2D', config: { name: layer.name, data_format: 'channels_last' } });
    } else if (layer.kind === 'dense') {
      const { inFeatures: n, outFeatures: o } = layer as DenseLayer;
      // Keras flattens (y, x, c); rows of the kernel follow that order.
      const source = model.nodes[i - 1]?.kind === 'flatten' ? shapes[i - 1] : null;
      const io = new Float32Array(layer.weight.length);
      for (let f = 0; f < n; f++) {
        let row = f;
        if (source) {
          const plane = source.height * source.width;
          row = (f % plane) * source.channels + Math.floor(f / plane);
        }
        for (let oc = 0; oc < o; oc++) io[row * o + oc] = layer.weight[oc * n + f];
      }
      const softmaxNext = model.nodes[i + 1]?.kind === 'softmax';
      kerasLayers.push({ class_name: 'Dense', config: { name: layer.name, units: o, activation: softmaxNext ? 'softmax' : layer.activation, use_bias: true } });
      if (softmaxNext && layer.activation !== 'linear') throw new Error('keras Dense has one activation');
      weights.push({ name: `${layer.name}/kernel`, shape: [n, o], dtype: 'float32' }, { name: `${layer.name}/bias`, shape: [o], dtype: 'float32' });
      data.push(io, layer.bias);
    } else if (layer.kind === 'softmax') {
      if (model.nodes[i - 1]?.kind !== 'dense') kerasLayers.push({ class_name: 'Activation', config: { name: layer.name, activation: 'softmax' } });
    }
    void inShape;
  });
  const bytes = floatBytes(...data);
  const half = Math.floor(bytes.byteLength / 8) * 4;
  const modelJson = JSON.stringify({
    format: 'layers-model',
    generatedBy: 'test writer',
    modelTopology: { model_config: { class_name: 'Sequential', config: { name: 'sequential', layers: kerasLayers } } },
    weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights }],
  });
  return { modelJson, shards: new Map([['group1-shard1of2.bin', bytes.slice(0, half)], ['group1-shard2of2.bin', bytes.slice(half)]]) };
}

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign | ((mantissa | 0x800000) >> (1 - exponent + 13));
  if (exponent >= 31) return sign | 0x7c00;
  mantissa += 0x1000; // round to nearest
  if (mantissa & 0x800000) return sign | ((exponent + 1) << 10);
  return sign | (exponent << 10) | (mantissa >> 13);
}

/** A safetensors file: 8-byte header length, JSON header, tensor data in the order given. */
export function writeSafetensors(tensors: { name: string; shape: number[]; data: Float32Array }[], dtype: SafetensorsDtype = 'F32'): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    let bytes: Uint8Array;
    if (dtype === 'F32') bytes = new Uint8Array(Float32Array.from(t.data).buffer);
    else if (dtype === 'BF16') bytes = new Uint8Array(Uint16Array.from(new Uint32Array(Float32Array.from(t.data).buffer), (b) => b >>> 16).buffer);
    else bytes = new Uint8Array(Uint16Array.from(t.data, toHalf).buffer);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
  return concat(length, new TextEncoder().encode(json), ...parts);
}

/** VGG tensors named as torchvision (`features.N`, `classifier.N`) or timm (`pre_logits.fc1/fc2` convs, `head.fc`) save them. */
export function vggCheckpointTensors(
  model: Model,
  naming: 'torchvision' | 'timm',
  batchNorm?: (conv: string) => { weight: Float32Array; bias: Float32Array; mean: Float32Array; variance: Float32Array },
): { name: string; shape: number[]; data: Float32Array }[] {
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  let feature = 0;
  let dense = 0;
  const shapes = chainShapes(model.input, model.nodes);
  model.nodes.forEach((layer, i) => {
    if (layer.kind === 'conv2d') {
      tensors.push({ name: `features.${feature}.weight`, shape: [layer.outChannels, layer.inChannels, 3, 3], data: layer.weight });
      tensors.push({ name: `features.${feature}.bias`, shape: [layer.outChannels], data: layer.bias });
      const norm = batchNorm?.(layer.name);
      if (norm) {
        const n = [layer.outChannels];
        tensors.push(
          { name: `features.${feature + 1}.weight`, shape: n, data: norm.weight },
          { name: `features.${feature + 1}.bias`, shape: n, data: norm.bias },
          { name: `features.${feature + 1}.running_mean`, shape: n, data: norm.mean },
          { name: `features.${feature + 1}.running_var`, shape: n, data: norm.variance },
          { name: `features.${feature + 1}.num_batches_tracked`, shape: [], data: new Float32Array([1]) },
        );
      }
      feature += norm ? 3 : 2; // conv, (batch norm,) relu
    } else if (layer.kind === 'maxpool') {
      feature += 1;
    } else if (layer.kind === 'dense') {
      const torchName = ['classifier.0', 'classifier.3', 'classifier.6'][dense];
      const timmName = ['pre_logits.fc1', 'pre_logits.fc2', 'head.fc'][dense];
      const spatial = shapes[i - 1]; // what the flatten before fc6 received
      const shape =
        naming === 'torchvision' || dense === 2
          ? [layer.outFeatures, layer.inFeatures]
          : dense === 0
            ? [layer.outFeatures, spatial.channels, spatial.height, spatial.width]
            : [layer.outFeatures, layer.inFeatures, 1, 1];
      const name = naming === 'torchvision' ? torchName : timmName;
      tensors.push({ name: `${name}.weight`, shape, data: layer.weight }, { name: `${name}.bias`, shape: [layer.outFeatures], data: layer.bias });
      dense++;
    }
  });
  return tensors;
}

export type KerasNaming = 'keras1' | 'keras2';

/** Keras's layer names for our VGG layer names: conv3_2 → block3_conv2, pool3 → block3_pool, fc6/7/8 → fc1, fc2, predictions. */
function kerasVggName(name: string): string {
  const conv = /^conv(\d)_(\d)$/.exec(name);
  if (conv) return `block${conv[1]}_conv${conv[2]}`;
  const pool = /^pool(\d)$/.exec(name);
  if (pool) return `block${pool[1]}_pool`;
  return { fc6: 'fc1', fc7: 'fc2', fc8: 'predictions' }[name] ?? name;
}

let kerasFiles = 0;

/**
 * A VGG in the layout of keras.applications' `vgg19_weights_tf_dim_ordering_tf_kernels.h5`, written through the HDF5 C
 * library (h5wasm): root attributes `layer_names` (fixed-length strings), `backend`, `keras_version`; one group per layer
 * with a `weight_names` attribute (an empty float array for layers without weights, as h5py stores `[]`); HWIO conv
 * kernels and [in][out] dense kernels whose fc1 rows follow Keras's channels-last flatten. `keras1` names datasets as the
 * shipped files do (`block1_conv1_W_1:0` directly in the layer group), `keras2` as Keras 2's save_weights does
 * (`block1_conv1/kernel:0`). `wrap` puts everything in a `model_weights` group, as a whole-model `save` does.
 */
export async function writeKerasH5(model: Model, naming: KerasNaming = 'keras1', options: { wrap?: boolean; backend?: string } = {}): Promise<Uint8Array> {
  const { default: h5wasm } = await import('h5wasm');
  const { FS } = await h5wasm.ready;
  const path = `/keras-writer-${++kerasFiles}.h5`;
  const file = new h5wasm.File(path, 'w');
  const root = options.wrap ? file.create_group('model_weights') : file;
  const shapes = chainShapes(model.input, model.nodes);
  const layerNames = ['input_1'];
  const groups: { name: string; weights: { name: string; shape: number[]; data: Float32Array }[] }[] = [{ name: 'input_1', weights: [] }];
  model.nodes.forEach((layer, i) => {
    if (layer.kind === 'softmax') return; // Keras puts softmax inside `predictions`
    const name = kerasVggName(layer.name);
    layerNames.push(name);
    const weightName = (what: 'kernel' | 'bias') => (naming === 'keras1' ? `${name}_${what === 'kernel' ? 'W' : 'b'}_1:0` : `${name}/${what}:0`);
    if (layer.kind === 'conv2d') {
      const { kernel: k, inChannels: c, outChannels: o } = layer;
      const hwio = new Float32Array(layer.weight.length);
      for (let oc = 0; oc < o; oc++)
        for (let ic = 0; ic < c; ic++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) hwio[((ky * k + kx) * c + ic) * o + oc] = layer.weight[((oc * c + ic) * k + ky) * k + kx];
      groups.push({ name, weights: [{ name: weightName('kernel'), shape: [k, k, c, o], data: hwio }, { name: weightName('bias'), shape: [o], data: layer.bias }] });
    } else if (layer.kind === 'dense') {
      const { inFeatures: n, outFeatures: o } = layer;
      const source = model.nodes[i - 1]?.kind === 'flatten' ? shapes[i - 1] : null;
      const io = new Float32Array(layer.weight.length);
      for (let f = 0; f < n; f++) {
        const row = source ? (f % (source.height * source.width)) * source.channels + Math.floor(f / (source.height * source.width)) : f;
        for (let oc = 0; oc < o; oc++) io[row * o + oc] = layer.weight[oc * n + f];
      }
      groups.push({ name, weights: [{ name: weightName('kernel'), shape: [n, o], data: io }, { name: weightName('bias'), shape: [o], data: layer.bias }] });
    } else {
      groups.push({ name, weights: [] });
    }
  });
  const fixedStrings = (list: string[]) => `A${Math.max(1, ...list.map((s) => s.length)) + 1}`;
  root.create_attribute('layer_names', layerNames, [layerNames.length], fixedStrings(layerNames));
  root.create_attribute('backend', options.backend ?? 'tensorflow');
  root.create_attribute('keras_version', naming === 'keras1' ? '1.2.2' : '2.2.4');
  for (const { name, weights } of groups) {
    const group = root.create_group(name);
    const names = weights.map((w) => w.name);
    if (names.length === 0) group.create_attribute('weight_names', new Float64Array(0));
    else group.create_attribute('weight_names', names, [names.length], fixedStrings(names));
    for (const w of weights) {
      // keras2 names contain a '/': the dataset lives in a subgroup named after the layer.
      const slash = w.name.lastIndexOf('/');
      const parent = slash < 0 ? group : (group.get(w.name.slice(0, slash)) as typeof group | null) ?? group.create_group(w.name.slice(0, slash));
      parent.create_dataset({ name: w.name.slice(slash + 1), data: w.data, shape: w.shape, dtype: '<f' });
    }
  }
  file.close();
  const bytes = FS!.readFile(path) as Uint8Array;
  FS!.unlink(path);
  return bytes;
}
