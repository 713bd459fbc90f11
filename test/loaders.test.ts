import { describe, expect, it } from 'vitest';
import { loadDarknet } from '../src/loaders/darknet.ts';
import { loadVggSafetensors } from '../src/loaders/safetensors.ts';
import { loadTfjs } from '../src/loaders/tfjs.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import type { Conv2dLayer, Layer } from '../src/ops/layers.ts';
import { chain, type Architecture, type Model, type WeightedNode } from '../src/graph/model.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { vggCheckpointTensors, writeDarknet, writeSafetensors, writeTfjs } from './helpers/writers.ts';

function expectSameWeights(loaded: Model, original: Model, tolerance = 0): void {
  const weighted = (m: Model) => m.nodes.filter((l): l is WeightedNode => 'weight' in l);
  const [a, b] = [weighted(loaded), weighted(original)];
  expect(a.map((l) => l.kind)).toEqual(b.map((l) => l.kind));
  a.forEach((layer, i) => {
    for (const key of ['weight', 'bias'] as const) {
      expect(layer[key].length).toBe(b[i][key].length);
      for (let j = 0; j < layer[key].length; j++) {
        if (Math.abs(layer[key][j] - b[i][key][j]) > tolerance * (1 + Math.abs(b[i][key][j]))) {
          expect.fail(`${layer.name}.${key}[${j}] = ${layer[key][j]}, expected ${b[i][key][j]}`);
        }
      }
    }
  });
}

const darknetArch: Architecture = {
  name: 'darknet-test',
  input: { channels: 3, height: 16, width: 16 },
  preprocess: unitRgbPreprocess(16, 16),
  ...chain([
    { kind: 'conv2d', name: 'conv1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 8, activation: 'leaky' },
    { kind: 'maxpool', name: 'pool1', size: 2, stride: 2 },
    { kind: 'conv2d', name: 'conv2', kernel: 1, stride: 1, padding: 0, inChannels: 8, outChannels: 6, activation: 'linear' },
    { kind: 'conv2d', name: 'conv3', kernel: 3, stride: 2, padding: 1, inChannels: 6, outChannels: 5, activation: 'relu' },
    { kind: 'flatten', name: 'flatten1' },
    { kind: 'dense', name: 'fc1', inFeatures: 5 * 4 * 4, outFeatures: 7, activation: 'linear' },
    { kind: 'softmax', name: 'softmax' },
  ]),
};

describe('darknet loader', () => {
  const model = randomModel(darknetArch, 11);
  const files = writeDarknet(model);

  it('reads back exactly the weights that were written, with letterbox preprocessing', () => {
    const loaded = loadDarknet({ ...files, cfgName: 'test.cfg' });
    expectSameWeights(loaded, model);
    expect(loaded.preprocess.resize).toBe('letterbox');
    expect(loaded.nodes.map((l) => l.kind)).toEqual(model.nodes.map((l) => l.kind));
  });

  it('folds batch norm as darknet computes it: (x − mean) / (√var + 1e-6) · scale + shift', () => {
    const random = seededRandom(5);
    const conv = model.nodes[0] as Conv2dLayer;
    const norm = {
      scales: Float32Array.from({ length: 8 }, () => 0.5 + random()),
      mean: Float32Array.from({ length: 8 }, () => random() - 0.5),
      variance: Float32Array.from({ length: 8 }, () => 0.1 + random()),
    };
    const loaded = loadDarknet(writeDarknet(model, new Map([['conv1', norm]])));
    const folded = loaded.nodes[0] as Conv2dLayer;
    for (let o = 0; o < 8; o++) {
      const k = norm.scales[o] / (Math.sqrt(norm.variance[o]) + 1e-6);
      expect(folded.bias[o]).toBeCloseTo(conv.bias[o] - norm.mean[o] * k, 5);
      for (let i = 0; i < 27; i++) expect(folded.weight[o * 27 + i]).toBeCloseTo(conv.weight[o * 27 + i] * k, 5);
    }
  });

  it('rejects a truncated weights file', () => {
    expect(() => loadDarknet({ ...files, weights: files.weights.slice(0, -40), weightsName: 'w.weights' })).toThrow(/w\.weights: ends at byte .* truncated/);
  });

  it('rejects an oversized weights file', () => {
    const bigger = new Uint8Array(files.weights.byteLength + 8);
    bigger.set(files.weights);
    expect(() => loadDarknet({ ...files, weights: bigger })).toThrow(/8 bytes left over .* different cfg/);
  });

  it('rejects weights that belong to another cfg', () => {
    const other = files.cfg.replace('filters=8', 'filters=9');
    expect(() => loadDarknet({ ...files, cfg: other })).toThrow(/different cfg/);
  });

  it('rejects a file that is not darknet weights', () => {
    const text = new TextEncoder().encode('<html>404 not found</html>');
    expect(() => loadDarknet({ ...files, weights: text })).toThrow(/not a darknet \.weights file/);
  });

  it('rejects non-finite weights as corrupt', () => {
    const corrupt = files.weights.slice();
    new DataView(corrupt.buffer).setFloat32(16 + 4 * 20, NaN, true);
    expect(() => loadDarknet({ ...files, weights: corrupt })).toThrow(/corrupt/);
  });

  it('names unsupported sections and bad values with their line', () => {
    expect(() => loadDarknet({ ...files, cfg: `${files.cfg}\n[upsample]\nstride=2\n` })).toThrow(/\[upsample\] at line \d+: layer type \[upsample\] is not supported/);
    expect(() => loadDarknet({ ...files, cfg: files.cfg.replace('size=3', 'size=three') })).toThrow(/size=three is not an integer from 1 to 16384/);
    expect(() => loadDarknet({ ...files, cfg: files.cfg.replace('activation=leaky', 'activation=mish') })).toThrow(/activation=mish is not supported/);
    expect(() => loadDarknet({ ...files, cfg: 'hello' })).toThrow(/neither a \[section\] nor key=value/);
  });

  it('rejects a labels list of the wrong length', () => {
    expect(() => loadDarknet({ ...files, labels: ['a', 'b'] })).toThrow(/7 classes but 2 labels/);
  });
});

const tfjsArch: Architecture = {
  name: 'tfjs-test',
  input: { channels: 3, height: 14, width: 12 },
  preprocess: unitRgbPreprocess(12, 14),
  ...chain([
    { kind: 'conv2d', name: 'conv_a', kernel: 3, stride: 1, padding: 0, inChannels: 3, outChannels: 5, activation: 'relu' },
    { kind: 'conv2d', name: 'conv_b', kernel: 3, stride: 1, padding: 1, inChannels: 5, outChannels: 6, activation: 'relu' },
    { kind: 'maxpool', name: 'pool', size: 2, stride: 2 },
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dense', name: 'hidden', inFeatures: 6 * 6 * 5, outFeatures: 9, activation: 'relu' },
    { kind: 'dense', name: 'output', inFeatures: 9, outFeatures: 4, activation: 'linear' },
    { kind: 'softmax', name: 'softmax' },
  ]),
};

describe('TensorFlow.js layers-model loader', () => {
  const model = randomModel(tfjsArch, 12);
  const files = writeTfjs(model);

  it('reads back the weights in CHW order, undoing Keras kernel layouts and channels-last flatten', () => {
    const loaded = loadTfjs(files);
    expectSameWeights(loaded, model);
    expect(loaded.nodes.map((l) => l.kind)).toEqual(model.nodes.map((l) => l.kind));
    expect(loaded.preprocess).toMatchObject({ width: 12, height: 14, resize: 'cnn-explainer', resizeFilter: 'bilinear-centres', scale: 1 / 255 });
  });

  it('rejects a truncated shard', () => {
    const shards = new Map(files.shards);
    shards.set('group1-shard2of2.bin', shards.get('group1-shard2of2.bin')!.slice(0, -12));
    expect(() => loadTfjs({ ...files, shards })).toThrow(/a shard is truncated/);
  });

  it('rejects a missing shard, naming it', () => {
    const shards = new Map(files.shards);
    shards.delete('group1-shard1of2.bin');
    expect(() => loadTfjs({ ...files, shards })).toThrow(/weight shard "group1-shard1of2\.bin" is missing/);
  });

  it('rejects shards with extra bytes', () => {
    const shards = new Map(files.shards);
    const last = shards.get('group1-shard2of2.bin')!;
    const longer = new Uint8Array(last.byteLength + 16);
    longer.set(last);
    shards.set('group1-shard2of2.bin', longer);
    expect(() => loadTfjs({ ...files, shards })).toThrow(/16 bytes more than the manifest/);
  });

  it('rejects a mislabelled tensor shape', () => {
    const permuted = files.modelJson.replace('"shape":[3,3,3,5]', '"shape":[3,3,5,3]');
    expect(permuted).not.toBe(files.modelJson);
    expect(() => loadTfjs({ ...files, modelJson: permuted })).toThrow(/conv_a\/kernel has shape \[3,3,5,3\], the layer needs \[3,3,3,5\]/);
    const smaller = files.modelJson.replace('"shape":[3,3,3,5]', '"shape":[3,3,3,4]');
    expect(() => loadTfjs({ ...files, modelJson: smaller })).toThrow(/hold 108 bytes more than the manifest lists/);
  });

  it('rejects what is not a layers model', () => {
    expect(() => loadTfjs({ ...files, modelJson: '{"format": "graph-model", "modelTopology": {}, "weightsManifest": []}' })).toThrow(/graph models/);
    expect(() => loadTfjs({ ...files, modelJson: 'not json' })).toThrow(/not valid JSON/);
    const lstm = files.modelJson.replace('"class_name":"MaxPooling2D"', '"class_name":"LSTM"');
    expect(() => loadTfjs({ ...files, modelJson: lstm })).toThrow(/class LSTM is not supported/);
  });
});

describe('safetensors VGG loader', () => {
  const arch = vggArchitecture(19, { widths: [4, 8, 8, 12, 8], inputSize: 32, hidden: 16, classes: 10 });
  const model = randomModel(arch, 13);

  for (const naming of ['torchvision', 'timm'] as const) {
    it(`reads a VGG19 checkpoint with ${naming} names exactly`, () => {
      const bytes = writeSafetensors(vggCheckpointTensors(model, naming));
      const loaded = loadVggSafetensors({ bytes, architecture: arch });
      expectSameWeights(loaded, model);
      expect(loaded.preprocess.resize).toBe('center-crop');
    });
  }

  it('reads F16 and BF16 checkpoints to their precision', () => {
    for (const [dtype, tolerance] of [['F16', 1e-3], ['BF16', 8e-3]] as const) {
      const bytes = writeSafetensors(vggCheckpointTensors(model, 'torchvision'), dtype);
      expectSameWeights(loadVggSafetensors({ bytes, architecture: arch }), model, tolerance);
    }
  });

  it('folds the batch norms of a vgg19_bn checkpoint', () => {
    const random = seededRandom(9);
    const norms = new Map<string, { weight: Float32Array; bias: Float32Array; mean: Float32Array; variance: Float32Array }>();
    const tensors = vggCheckpointTensors(model, 'torchvision', (name) => {
      const n = (model.nodes.find((l) => l.name === name) as Conv2dLayer).outChannels;
      const make = (offset: number) => Float32Array.from({ length: n }, () => offset + random());
      const norm = { weight: make(0.5), bias: make(-0.5), mean: make(-0.5), variance: make(0.2) };
      norms.set(name, norm);
      return norm;
    });
    const loaded = loadVggSafetensors({ bytes: writeSafetensors(tensors), architecture: arch });
    const conv = model.nodes[0] as Conv2dLayer;
    const folded = loaded.nodes[0] as Conv2dLayer;
    const norm = norms.get('conv1_1')!;
    const k = norm.weight[0] / Math.sqrt(norm.variance[0] + 1e-5);
    expect(folded.weight[0]).toBeCloseTo(conv.weight[0] * k, 5);
    expect(folded.bias[0]).toBeCloseTo((conv.bias[0] - norm.mean[0]) * k + norm.bias[0], 5);
  });

  const good = writeSafetensors(vggCheckpointTensors(model, 'torchvision'));

  it('rejects a truncated checkpoint', () => {
    expect(() => loadVggSafetensors({ bytes: good.slice(0, good.byteLength - 100), architecture: arch, fileName: 'vgg.safetensors' })).toThrow(/vgg\.safetensors: tensor classifier\.6\.\w+ ends at byte \d+ .* truncated/);
  });

  it('rejects a file that is not safetensors', () => {
    expect(() => loadVggSafetensors({ bytes: new TextEncoder().encode('PK\u0003\u0004 a zip file, not safetensors'), architecture: arch })).toThrow(/not safetensors/);
  });

  it('rejects mislabelled, missing and extra tensors', () => {
    const tensors = vggCheckpointTensors(model, 'torchvision');
    const wrongShape = tensors.map((t) => (t.name === 'features.0.weight' ? { ...t, shape: [4, 3, 1, 9] } : t));
    expect(() => loadVggSafetensors({ bytes: writeSafetensors(wrongShape), architecture: arch })).toThrow(/features\.0\.weight has shape \[4,3,1,9\]/);
    const missing = tensors.filter((t) => t.name !== 'classifier.3.bias');
    expect(() => loadVggSafetensors({ bytes: writeSafetensors(missing), architecture: arch })).toThrow(/has no tensor classifier\.3\.bias/);
    const extra = [...tensors, { name: 'aux.weight', shape: [2], data: new Float32Array(2) }];
    expect(() => loadVggSafetensors({ bytes: writeSafetensors(extra), architecture: arch })).toThrow(/aux\.weight belong to no vgg19 layer/);
    expect(() => loadVggSafetensors({ bytes: good, arch: 'vgg16' })).toThrow(/16 convolutions but vgg16 has 13/);
  });
});
