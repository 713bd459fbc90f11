/**
 * Model files written by an attacker or a careless user (issue 13): files a manifest names stay inside its folder and
 * are never read past the size it lists; every size, count and stride is a positive integer in range; malformed
 * entries are refused by name instead of crashing; preprocessing numbers are usable. Each case ends in one
 * ModelFormatError line.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConvertedModel, parseConvertedManifest } from '../src/loaders/converted.ts';
import { loadDarknet } from '../src/loaders/darknet.ts';
import { ModelFormatError } from '../src/loaders/format-error.ts';
import { loadKerasH5 } from '../src/loaders/keras-h5.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { checkReferencedPath, referencedUrl } from '../src/loaders/model-paths.ts';
import { readModelFile } from '../src/loaders/read-file-node.ts';
import { openSafetensors } from '../src/loaders/safetensors.ts';
import { loadTfjs } from '../src/loaders/tfjs.ts';
import { chain, type Architecture } from '../src/graph/model.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { encodeConvertedModel } from '../src/weights/encode-converted.ts';
import { tfjsFormat } from '../src/web/formats/tfjs-format.ts';
import { writeDarknet, writeSafetensors, writeTfjs } from './helpers/writers.ts';

const arch: Architecture = {
  name: 'bad-input',
  input: { channels: 3, height: 8, width: 8 },
  preprocess: unitRgbPreprocess(8, 8),
  ...chain([
    { kind: 'conv2d', name: 'conv1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 4, activation: 'relu' },
    { kind: 'maxpool', name: 'pool1', size: 2, stride: 2 },
    { kind: 'flatten', name: 'flatten1' },
    { kind: 'dense', name: 'fc1', inFeatures: 4 * 4 * 4, outFeatures: 3, activation: 'linear' },
    { kind: 'softmax', name: 'softmax' },
  ]),
};
const model = randomModel(arch, 7);
const tfjs = writeTfjs(model);
const darknet = writeDarknet(model);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A tfjs model.json after `edit`, as text. */
function editedTfjs(edit: (json: Json) => void): string {
  const json = JSON.parse(tfjs.modelJson);
  edit(json);
  return JSON.stringify(json);
}

/** A folder `<root>/models/m/` with the model.json and its shards, and `<root>/outside/` beside it. */
function modelFolder(modelJson: string): { root: string; json: string } {
  const root = mkdtempSync(join(tmpdir(), 'fixations-bad-'));
  const dir = join(root, 'models', 'm');
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(root, 'outside'));
  for (const [path, bytes] of tfjs.shards) {
    writeFileSync(join(dir, path), bytes);
    writeFileSync(join(root, 'outside', path), bytes);
  }
  writeFileSync(join(dir, 'model.json'), modelJson);
  return { root, json: join(dir, 'model.json') };
}

const withPaths = (...paths: string[]) => editedTfjs((j) => (j.weightsManifest[0].paths = paths));

describe('files a manifest names stay in its folder (issue 13, item 1)', () => {
  it('a tfjs shard path that leads out of the model folder is refused, though a valid shard lies there', async () => {
    const { json } = modelFolder(withPaths('../../outside/group1-shard1of2.bin', 'group1-shard2of2.bin'));
    await expect(loadModelFile(json)).rejects.toThrow(ModelFormatError);
    await expect(loadModelFile(json)).rejects.toThrow(/model\.json: weightsManifest\[0\]\.paths\[0\] "\.\.\/\.\.\/outside\/group1-shard1of2\.bin" leads out of the folder/);
  });

  it('a path to /etc/passwd is refused without revealing anything about that file', async () => {
    const { json } = modelFolder(withPaths('../../../../../../../../etc/passwd'));
    const error = await loadModelFile(json).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(/leads out of the folder/);
    expect((error as Error).message).not.toMatch(/\d+ bytes/);
    const absolute = modelFolder(withPaths('/etc/passwd')).json;
    await expect(loadModelFile(absolute)).rejects.toThrow(/"\/etc\/passwd" is absolute/);
  });

  it('/dev/zero is never read: not by path, and not through a link inside the folder', async () => {
    await expect(loadModelFile(modelFolder(withPaths('../../../../../../../../dev/zero')).json)).rejects.toThrow(/leads out of the folder/);
    const { json } = modelFolder(withPaths('zero.bin'));
    symlinkSync('/dev/zero', join(json, '..', 'zero.bin'));
    await expect(loadModelFile(json)).rejects.toThrow(/weight shard "zero\.bin" is a link to \/dev\/zero, outside the model's folder/);
    // A device that is not a link (the folder itself is in /dev) is refused as not a regular file.
    await expect(readModelFile('/dev/zero', 'weight shard', { maxBytes: 10 })).rejects.toThrow(/\/dev\/zero: is not a regular file \(a device, pipe or socket\)/);
  });

  it('a shard longer than the manifest lists is refused before it is read', async () => {
    const { json } = modelFolder(tfjs.modelJson);
    writeFileSync(join(json, '..', 'group1-shard2of2.bin'), new Uint8Array(10_000_000));
    await expect(loadModelFile(json)).rejects.toThrow(/model\.json: shards group1-shard1of2\.bin, group1-shard2of2\.bin hold \d+ bytes but the manifest lists \d+: wrong shard files/);
  });

  it('a converted model: a .bin longer than listed is refused by its size, and no name may leave the folder', async () => {
    const encoded = encodeConvertedModel(model, { baseName: 'm' });
    const dir = mkdtempSync(join(tmpdir(), 'fixations-bad-converted-'));
    writeFileSync(join(dir, 'm.fixations.json'), encoded.json);
    writeFileSync(join(dir, encoded.files[0].name), new Uint8Array(encoded.files[0].size + 4096));
    await expect(loadModelFile(join(dir, 'm.fixations.json'))).rejects.toThrow(new RegExp(`${encoded.files[0].name}: is ${encoded.files[0].size + 4096} bytes but should be ${encoded.files[0].size}: a different file`));
    const escaping = encoded.json.replaceAll(encoded.files[0].name, '../m-00001-of-00001.bin');
    expect(() => parseConvertedManifest(escaping, 'm.fixations.json')).toThrow(/must be a plain file name beside the manifest/);
  });

  it('the page: a dropped model.json cannot name files outside the dropped set, nor a URL outside its folder', async () => {
    const dropped = [...tfjs.shards].map(([name, bytes]) => new File([bytes as BlobPart], name));
    const outsideJson = withPaths('../outside/group1-shard1of2.bin', 'group1-shard2of2.bin');
    await expect(tfjsFormat.fromFiles([new File([outsideJson], 'model.json'), ...dropped], () => {})).rejects.toThrow(/leads out of the folder/);
    const oversized = [new File([tfjs.modelJson], 'model.json'), new File([new Uint8Array(1 << 20)], 'group1-shard1of2.bin'), dropped[1]];
    await expect(tfjsFormat.fromFiles(oversized, () => {})).rejects.toThrow(/hold \d+ bytes but the manifest lists \d+: wrong shard files/);
    for (const path of ['../x.bin', 'https://elsewhere.example/x.bin', '//elsewhere.example/x.bin', '%2e%2e/x.bin', 'a\\..\\x.bin', 'a/./b.bin', '']) {
      expect(() => referencedUrl('http://host/models/m/model.json', path, 'model.json', 'weight shard'), path).toThrow(ModelFormatError);
    }
    expect(referencedUrl('http://host/models/m/model.json', 'shards/g1.bin', 'model.json', 'weight shard')).toBe('http://host/models/m/shards/g1.bin');
    expect(checkReferencedPath('group1-shard1of1.bin', 'model.json', 'shard')).toBe('group1-shard1of1.bin');
  });
});

describe('sizes, counts and strides are positive integers in range (item 4)', () => {
  it('tfjs: a fractional or absurd input size, filter or unit count is refused', () => {
    const bad = (edit: (json: Json) => void) => () => loadTfjs({ modelJson: editedTfjs(edit), shards: tfjs.shards, modelJsonName: 'model.json' });
    const layers = (j: Json) => j.modelTopology.model_config.config.layers;
    expect(bad((j) => (layers(j)[0].config.batch_input_shape = [null, 8.5, 8, 3]))).toThrow(/model\.json: the input height \(batch_input_shape\[1\]\) is 8\.5; it must be a positive integer/);
    expect(bad((j) => (layers(j)[0].config.batch_input_shape = [null, 8, -8, 3]))).toThrow(/the input width .* is -8/);
    expect(bad((j) => (layers(j)[0].config.filters = 4.5))).toThrow(/conv1: filters is 4\.5/);
    expect(bad((j) => (layers(j)[0].config.filters = '4'))).toThrow(/conv1: filters is "4"/);
    expect(bad((j) => (layers(j).find((l: Json) => l.class_name === 'Dense').config.units = 1e12))).toThrow(/fc1: units is 1000000000000/);
    expect(bad((j) => (layers(j)[0].config.strides = [0, 0]))).toThrow(/strides \[0,0\] is not a pair of positive integers/);
    expect(bad((j) => (layers(j).find((l: Json) => l.class_name === 'MaxPooling2D').config.pool_size = [1.5, 1.5]))).toThrow(/pool_size \[1\.5,1\.5\] is not a pair of positive integers/);
    expect(bad((j) => (j.weightsManifest[0].weights[0].shape = [3, 3, 3, 4.5]))).toThrow(/weight conv1\/kernel shape\[3\] is 4\.5/);
  });

  it('darknet: stride=0, a hexadecimal filter count and trailing garbage are refused', () => {
    expect(() => loadDarknet({ ...darknet, cfg: darknet.cfg.replace('[maxpool]\nsize=2\nstride=2', '[maxpool]\nsize=2\nstride=0') })).toThrow(/\[maxpool\] at line \d+: stride=0 is not an integer from 1 to/);
    expect(() => loadDarknet({ ...darknet, cfg: darknet.cfg.replace('filters=4', 'filters=0x10') })).toThrow(/filters=0x10 is not an integer from 1 to/);
    expect(() => loadDarknet({ ...darknet, cfg: darknet.cfg.replace('filters=4', 'filters=4abc') })).toThrow(/filters=4abc is not an integer/);
    expect(() => loadDarknet({ ...darknet, cfg: darknet.cfg.replace('width=8', 'width=8.5') })).toThrow(/\[net\] at line 1: width=8\.5 is not an integer/);
    expect(() => loadDarknet({ ...darknet, cfg: darknet.cfg.replace('output=3', 'output=0') })).toThrow(/output=0 is not an integer from 1/);
  });

  it('safetensors: fractional or negative dimensions and offsets are refused', () => {
    const bytes = writeSafetensors([{ name: 'a', shape: [2, 2], data: new Float32Array(4) }]);
    const withHeader = (header: object) => {
      let json = JSON.stringify(header);
      while ((8 + json.length) % 8 !== 0) json += ' ';
      const out = new Uint8Array(8 + json.length + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(new TextEncoder().encode(json), 8);
      return out;
    };
    expect(openSafetensors(bytes).names).toEqual(['a']);
    expect(() => openSafetensors(withHeader({ a: { dtype: 'F32', shape: [2.5, 1.6], data_offsets: [0, 16] } }), 'x.safetensors')).toThrow(/x\.safetensors: tensor a shape\[0\] is 2\.5/);
    expect(() => openSafetensors(withHeader({ a: { dtype: 'F32', shape: [-2, -2], data_offsets: [0, 16] } }), 'x.safetensors')).toThrow(/tensor a shape\[0\] is -2/);
    expect(() => openSafetensors(withHeader({ a: { dtype: 'F32', shape: [4], data_offsets: [0.5, 16.5] } }), 'x.safetensors')).toThrow(/data_offsets\[0\] is 0\.5/);
  });
});

describe('malformed manifests are refused by name, never with a stack (item 5)', () => {
  const tfjsCases: [string, (j: Json) => void, RegExp][] = [
    ['a weight shape that is a string', (j) => (j.weightsManifest[0].weights[0].shape = '3,3,3,4'), /weight conv1\/kernel has shape "3,3,3,4"; a shape is a list of sizes/],
    ['a missing weight shape', (j) => delete j.weightsManifest[0].weights[0].shape, /weight conv1\/kernel has shape undefined/],
    ['a null weight shape', (j) => (j.weightsManifest[0].weights[0].shape = null), /weight conv1\/kernel has shape null/],
    ['a null weight name', (j) => (j.weightsManifest[0].weights[0].name = null), /weightsManifest\[0\]\.weights\[0\]\.name is null; it must be a non-empty string/],
    ['a null weight entry', (j) => (j.weightsManifest[0].weights[0] = null), /weightsManifest\[0\]\.weights\[0\] is null, not a weight entry/],
    ['a non-string path', (j) => (j.weightsManifest[0].paths[0] = 42), /weightsManifest\[0\]\.paths\[0\] 42 is not a string/],
    ['a null layer', (j) => (j.modelTopology.model_config.config.layers[1] = null), /modelTopology layer 1 is null, not a layer/],
    ['a null config', (j) => (j.modelTopology.model_config.config.layers[0].config = null), /modelTopology layer 0 \(Conv2D\) has no config object/],
    ['a null modelTopology', (j) => (j.modelTopology = null), /modelTopology has no layers/],
    ['a null manifest group', (j) => (j.weightsManifest[0] = null), /weightsManifest entries need "paths" and "weights" lists/],
    ['inbound nodes of the wrong types', (j) => (j.modelTopology.model_config.config.layers[1].inbound_nodes = [[null, 5]]), /takes null \+ 5: only linear chains/],
  ];
  for (const [what, edit, message] of tfjsCases) {
    it(`tfjs: ${what}`, () => {
      const load = () => loadTfjs({ modelJson: editedTfjs(edit), shards: tfjs.shards, modelJsonName: 'model.json' });
      expect(load).toThrow(ModelFormatError);
      expect(load).toThrow(message);
    });
  }

  it('safetensors: a null header entry, a header that is not an object', () => {
    const withHeader = (json: string) => {
      const out = new Uint8Array(8 + json.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(new TextEncoder().encode(json), 8);
      return out;
    };
    expect(() => openSafetensors(withHeader('{"a":null}'), 'x.safetensors')).toThrow(/x\.safetensors: tensor a has header entry null, not \{dtype, shape, data_offsets\}/);
    expect(() => openSafetensors(withHeader('null'), 'x.safetensors')).toThrow(/header that is not a JSON object/);
    expect(() => openSafetensors(withHeader('{"a":{"dtype":"toString","shape":[],"data_offsets":[0,0]}}'), 'x.safetensors')).toThrow(/dtype "toString"/);
  });
});

describe('preprocessing numbers and huge tensors (items 3 and 10)', () => {
  const encoded = encodeConvertedModel(model, { baseName: 'm' });
  const bytes = encoded.files.map((f) => f.bytes());
  const read = async (name: string) => bytes[encoded.files.findIndex((f) => f.name === name)];
  const edited = (edit: (json: Json) => void) => {
    const json = JSON.parse(encoded.json);
    edit(json);
    return JSON.stringify(json);
  };

  it('a converted model whose preprocess scale is 1e39 (infinite in float32), or whose std is 0 or mean huge, is refused at load', async () => {
    await expect(loadConvertedModel(edited((j) => (j.preprocess.scale = 1e39)), read, { fileName: 'm.fixations.json' })).rejects.toThrow(
      /m\.fixations\.json: preprocess\.scale is 1e\+39; it must be a number from 0\.000001 to 10000/,
    );
    await expect(loadConvertedModel(edited((j) => (j.preprocess.std = [1, 0, 1])), read)).rejects.toThrow(/preprocess\.std\[1\] must be positive|preprocess\.std\[1\] is 0/);
    await expect(loadConvertedModel(edited((j) => (j.preprocess.mean = [1e300, 0, 0])), read)).rejects.toThrow(/preprocess\.mean\[0\] is 1e\+300/);
    await expect(loadConvertedModel(edited((j) => (j.preprocess.scale = 0)), read)).rejects.toThrow(/preprocess\.scale is 0/);
    expect((await loadConvertedModel(encoded.json, read)).preprocess).toEqual(model.preprocess);
  });

  it('the same checks hold for preprocessing given to the tfjs loader', () => {
    expect(() => loadTfjs({ ...tfjs, preprocess: { ...unitRgbPreprocess(8, 8), scale: Infinity } })).toThrow(/preprocess\.scale is Infinity/);
  });

  it('a huge converted tensor (1000×128×1001×1001) is refused by name, not with "Invalid typed array length"', async () => {
    const count = 1000 * 128 * 1001 * 1001;
    const huge = edited((j) => {
      j.input = { channels: 3, height: 3000, width: 3000 };
      j.preprocess.width = j.preprocess.height = 3000;
      // Written as a version 1 manifest: a chain of layers.
      j.version = 1;
      delete j.nodes;
      delete j.output;
      j.layers = [
        { kind: 'conv2d', name: 'c', kernel: 1001, stride: 1, padding: 0, inChannels: 3, outChannels: 128, activation: 'relu' },
        { kind: 'conv2d', name: 'd', kernel: 1001, stride: 1, padding: 0, inChannels: 128, outChannels: 1000, activation: 'linear' },
        { kind: 'globalAvgPool', name: 'g' },
      ];
      j.labels = Array.from({ length: 1000 }, (_, i) => `c${i}`);
      const c = 128 * 3 * 1001 * 1001 * 4;
      j.files = [{ name: 'm-00001-of-00001.bin', size: c + 128 * 4 + count * 4 + 4000 }];
      j.tensors = [
        { name: 'c.weight', shape: [128, 3, 1001, 1001], dtype: 'float32', byteLength: c, parts: [{ file: 'm-00001-of-00001.bin', offset: 0, byteLength: c }] },
        { name: 'c.bias', shape: [128], dtype: 'float32', byteLength: 512, parts: [{ file: 'm-00001-of-00001.bin', offset: c, byteLength: 512 }] },
        { name: 'd.weight', shape: [1000, 128, 1001, 1001], dtype: 'float32', byteLength: count * 4, parts: [{ file: 'm-00001-of-00001.bin', offset: c + 512, byteLength: count * 4 }] },
        { name: 'd.bias', shape: [1000], dtype: 'float32', byteLength: 4000, parts: [{ file: 'm-00001-of-00001.bin', offset: c + 512 + count * 4, byteLength: 4000 }] },
      ];
    });
    const error = await loadConvertedModel(huge, read, { fileName: 'huge.fixations.json' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(/^huge\.fixations\.json: tensor d\.weight byteLength must be an integer from 0 to 4294967296/);
  });

  it('an HDF5 file with a valid signature and garbage inside: one line naming the file', async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 37) & 255);
    garbage.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    const error = await loadKerasH5({ bytes: garbage, fileName: 'garbage.h5' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(/^garbage\.h5: cannot be read as HDF5 \(.+\): truncated or corrupt$/);
    expect((error as Error).message).not.toMatch(/\n|HDF5-DIAG/);
  });
});

