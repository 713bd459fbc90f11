import { describe, expect, it } from 'vitest';
import { loadConvertedModel, parseConvertedManifest, type ReadModelFile } from '../src/loaders/converted.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import type { Layer } from '../src/ops/layers.ts';
import type { Model, WeightedNode } from '../src/graph/model.ts';
import { caffePreprocess } from '../src/model/preprocess.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { encodeConvertedModel, type EncodedModel } from '../src/weights/encode-converted.ts';
import { randomInput } from './helpers/nets.ts';

const arch = vggArchitecture(19, { widths: [4, 8, 8, 8, 8], inputSize: 32, hidden: 16, classes: 10 });
const model: Model = {
  ...randomModel(arch, 21, Array.from({ length: 10 }, (_, i) => `label ${i}`)),
  preprocess: { ...caffePreprocess, width: 32, height: 32 },
};

function filesOf(encoded: EncodedModel): Map<string, Uint8Array> {
  return new Map(encoded.files.map((f) => [f.name, f.bytes()]));
}

function reader(files: Map<string, Uint8Array>): ReadModelFile {
  return async (name) => {
    const bytes = files.get(name);
    if (!bytes) throw new Error(`404 ${name}`);
    return bytes;
  };
}

function weighted(m: Model): WeightedNode[] {
  return m.nodes.filter((l): l is WeightedNode => 'weight' in l);
}

describe('converted model format', () => {
  it('round-trips exactly: weights bit for bit, specs, preprocessing, labels, forward pass', async () => {
    const encoded = encodeConvertedModel(model, { source: { file: 'vgg.h5', format: 'keras-h5' } });
    expect(encoded.files).toHaveLength(1);
    const progress: number[] = [];
    const loaded = await loadConvertedModel(encoded.json, reader(filesOf(encoded)), { onProgress: (done, total) => progress.push(done / total) });
    expect(progress).toEqual([1]);
    expect(loaded.name).toBe(model.name);
    expect(loaded.preprocess).toEqual(model.preprocess);
    expect(loaded.labels).toEqual(model.labels);
    expect(loaded.nodes.map(({ ...l }) => ({ ...l, weight: undefined, bias: undefined }))).toEqual(model.nodes.map(({ ...l }) => ({ ...l, weight: undefined, bias: undefined })));
    weighted(loaded).forEach((layer, i) => {
      expect(Buffer.from(layer.weight.buffer).equals(Buffer.from(weighted(model)[i].weight.buffer))).toBe(true);
      expect(Buffer.from(layer.bias.buffer).equals(Buffer.from(weighted(model)[i].bias.buffer))).toBe(true);
    });
    const input = randomInput(3 * 32 * 32, 4);
    expect(forwardReference(loaded, input).get(loaded.output)).toEqual(forwardReference(model, input).get(model.output));
  });

  it('splits into files of at most maxFileBytes, with tensors continuing across files, and reports progress per file', async () => {
    const encoded = encodeConvertedModel(model, { maxFileBytes: 10_001, baseName: 'tiny' });
    const total = encoded.files.reduce((s, f) => s + f.size, 0);
    expect(encoded.files.length).toBe(Math.ceil(total / 10_000));
    expect(encoded.files[0].name).toBe(`tiny-00001-of-${String(encoded.files.length).padStart(5, '0')}.bin`);
    expect(encoded.files.every((f) => f.size <= 10_000 && f.bytes().byteLength === f.size)).toBe(true);
    expect(encoded.manifest.tensors.some((t) => t.parts.length > 1)).toBe(true);
    const fractions: number[] = [];
    const loaded = await loadConvertedModel(encoded.json, reader(filesOf(encoded)), { onProgress: (done, all) => fractions.push(done / all) });
    expect(fractions).toHaveLength(encoded.files.length);
    expect(fractions.at(-1)).toBe(1);
    weighted(loaded).forEach((layer, i) => expect(layer.weight).toEqual(weighted(model)[i].weight));
  });

  const encoded = encodeConvertedModel(model, { maxFileBytes: 20_000, baseName: 'tiny' });
  const manifest = () => JSON.parse(encoded.json);
  const load = (json: unknown, files = filesOf(encoded)) =>
    loadConvertedModel(typeof json === 'string' ? json : JSON.stringify(json), reader(files), { fileName: 'tiny.fixations.json' });

  it('loads manifests written before the resize filter was stored, with the filter of the recipe\'s origin', async () => {
    const old = manifest();
    delete old.preprocess.resizeFilter;
    expect((await load(old)).preprocess.resizeFilter).toBe('nearest');
    old.preprocess = { ...old.preprocess, resize: 'letterbox', channelOrder: 'rgb', letterboxFill: 0.5 };
    expect((await load(old)).preprocess.resizeFilter).toBe('bilinear');
    await expect(load({ ...old, preprocess: { ...old.preprocess, resizeFilter: 'bicubic' } })).rejects.toThrow(/preprocess\.resizeFilter must be one of nearest, bilinear/);
  });

  it('rejects a truncated or oversized binary file, naming it', async () => {
    const files = filesOf(encoded);
    const first = encoded.files[0].name;
    files.set(first, files.get(first)!.subarray(0, 1000));
    await expect(load(encoded.json, files)).rejects.toThrow(`${first}: is 1000 bytes but tiny.fixations.json says 20000: truncated; convert the model again`);
    const longer = new Uint8Array(20_004);
    files.set(first, longer);
    await expect(load(encoded.json, files)).rejects.toThrow(/is 20004 bytes but tiny\.fixations\.json says 20000: a different file/);
  });

  it('rejects a missing binary file', async () => {
    const files = filesOf(encoded);
    files.delete(encoded.files[0].name);
    await expect(load(encoded.json, files)).rejects.toThrow(`${encoded.files[0].name}: cannot be read (404 ${encoded.files[0].name}); tiny.fixations.json needs it beside it`);
  });

  it('rejects wrong offsets: outside the file, overlapping, or leaving a gap', async () => {
    const outside = manifest();
    outside.tensors[0].parts[0].offset = 19_990;
    await expect(load(outside)).rejects.toThrow(/tensor conv1_1\.weight lies at bytes 19990–20422 of tiny-00001-of-\d+\.bin, which has 20000 bytes/);
    const overlap = manifest();
    overlap.tensors[1].parts[0].offset -= 4;
    await expect(load(overlap)).rejects.toThrow(/tensor conv1_1\.bias overlaps the tensor before it in tiny-00001/);
    const gap = manifest();
    gap.tensors[1].parts[0].offset += 4;
    await expect(load(gap)).rejects.toThrow(/tensor conv1_2\.weight overlaps|belong to no tensor/);
  });

  it('rejects mislabelled shapes and byte lengths', async () => {
    const permuted = manifest();
    permuted.tensors[0].shape = [3, 4, 3, 3];
    await expect(load(permuted)).rejects.toThrow('tiny.fixations.json: tensor conv1_1.weight has shape [3,4,3,3], the layer needs [4,3,3,3]');
    const length = manifest();
    length.tensors[0].byteLength = 400;
    await expect(load(length)).rejects.toThrow(/tensor conv1_1\.weight has byteLength 400, but \[4,3,3,3\] float32 is 432 bytes/);
    const spec = manifest();
    spec.nodes[0].outChannels = 5;
    await expect(load(spec)).rejects.toThrow(/is not a valid graph: conv1_2: expects 4 input channels but its input has 5/);
    const wiring = manifest();
    wiring.nodes[1].inputs = ['conv1_9'];
    await expect(load(wiring)).rejects.toThrow(/is not a valid graph: conv1_2 reads tensor "conv1_9", which no node writes/);
    // Version 1 stored a chain of layers: still read, and still checked.
    const { nodes, output: _output, ...rest } = manifest();
    const v1 = { ...rest, version: 1, layers: nodes.map(({ inputs: _i, output: _o, ...spec }: Record<string, unknown>) => spec) };
    await expect(load(v1)).resolves.toMatchObject({ output: 'prob' });
    v1.layers[0].outChannels = 5;
    await expect(load(v1)).rejects.toThrow(/layers do not chain: conv1_2: expects 4 input channels but its input has 5/);
  });

  it('rejects missing and extra tensors, bad labels and bad preprocessing', async () => {
    const missing = manifest();
    missing.tensors = missing.tensors.filter((t: { name: string }) => t.name !== 'fc7.bias');
    await expect(load(missing)).rejects.toThrow(/tensors lack fc7\.bias/);
    const extra = manifest();
    extra.tensors.push({ ...extra.tensors[0], name: 'pool1.weight' });
    await expect(load(extra)).rejects.toThrow(/tensor pool1\.weight belongs to no layer with weights/);
    const labels = manifest();
    labels.labels.pop();
    await expect(load(labels)).rejects.toThrow('tiny.fixations.json: labels has 9 names for 10 output classes');
    const pre = manifest();
    pre.preprocess.channelOrder = 'rbg';
    await expect(load(pre)).rejects.toThrow(/preprocess\.channelOrder must be one of rgb, bgr \(is "rbg"\)/);
    const size = manifest();
    size.preprocess.width = 224;
    await expect(load(size)).rejects.toThrow(/preprocess makes 224×32 images but the input is 32×32/);
  });

  it('rejects bad JSON, another format, another version, and file names that leave the folder', async () => {
    await expect(load('{"format": "webgpu-fixations-model", ')).rejects.toThrow(/tiny\.fixations\.json: is not valid JSON/);
    await expect(load({ format: 'layers-model' })).rejects.toThrow(/has format "layers-model", not "webgpu-fixations-model": not a model converted by fixations weights convert/);
    await expect(load({ ...manifest(), version: 3 })).rejects.toThrow(/is version 3 of the format; this build reads versions 1 to 2/);
    const escape = manifest();
    escape.files[0].name = '../../etc/passwd';
    await expect(load(escape)).rejects.toThrow(/files\[0\]\.name "\.\.\/\.\.\/etc\/passwd" must be a plain file name beside the manifest/);
  });

  it('rejects non-finite weights as corrupt, after reading everything', async () => {
    const files = filesOf(encoded);
    const first = files.get(encoded.files[0].name)!.slice();
    new DataView(first.buffer).setFloat32(8, NaN, true);
    files.set(encoded.files[0].name, first);
    await expect(load(encoded.json, files)).rejects.toThrow(/tiny\.fixations\.json: conv1_1: weight\[2\] is NaN; the weights file is corrupt/);
  });

  it('parses the manifest alone, for a download size up front', () => {
    const plan = parseConvertedManifest(encoded.json);
    expect(plan.totalBytes).toBe(encoded.files.reduce((s, f) => s + f.size, 0));
    expect(plan.manifest.files.map((f) => f.name)).toEqual(encoded.files.map((f) => f.name));
  });
});
