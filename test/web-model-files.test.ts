/**
 * The demo page's model sources, run in Node (File, fetch and ReadableStream are Web APIs Node has): dropped files
 * sorted and claimed by the right format, loaded with progress and named errors; models by URL; weights/ listings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, type Architecture } from '../src/graph/model.ts';
import { unitRgbPreprocess } from '../src/model/preprocess.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { darknetFormat } from '../src/web/formats/darknet-format.ts';
import { tfjsFormat } from '../src/web/formats/tfjs-format.ts';
import { modelFormatForFiles, sortDroppedFiles } from '../src/web/model-formats.ts';
import { parseRegistry, sourceFromQuery } from '../src/web/model-registry.ts';
import { listWeights } from '../src/web/weights-listing-node.ts';
import { serveFolders, type StaticServer } from './helpers/static-server.ts';
import { writeDarknet, writeTfjs } from './helpers/writers.ts';

const arch: Architecture = {
  name: 'web-test',
  input: { channels: 3, height: 16, width: 16 },
  preprocess: unitRgbPreprocess(16, 16),
  ...chain([
    { kind: 'conv2d', name: 'conv1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 4, activation: 'relu' },
    { kind: 'maxpool', name: 'pool1', size: 2, stride: 2 },
    { kind: 'flatten', name: 'flatten1' },
    { kind: 'dense', name: 'fc1', inFeatures: 4 * 8 * 8, outFeatures: 5, activation: 'linear' },
    { kind: 'softmax', name: 'softmax' },
  ]),
};
const model = randomModel(arch, 3);
const labels = ['ant', 'bee', 'cat', 'dog', 'eel'];
const file = (name: string, content: string | Uint8Array, type = '') => new File([content as BlobPart], name, { type });

describe('dropped files', () => {
  it('are sorted into photos, model files and the rest, and claimed by their format', () => {
    const files = [file('dog.jpg', 'x', 'image/jpeg'), file('tiny.cfg', 'x'), file('tiny.weights', 'x'), file('names.txt', 'x'), file('notes.pdf', 'x')];
    const sorted = sortDroppedFiles(files);
    expect(sorted.images.map((f) => f.name)).toEqual(['dog.jpg']);
    expect(sorted.modelFiles.map((f) => f.name)).toEqual(['tiny.cfg', 'tiny.weights', 'names.txt']);
    expect(sorted.unknown.map((f) => f.name)).toEqual(['notes.pdf']);
    expect(modelFormatForFiles(sorted.modelFiles)?.id).toBe('darknet');
    expect(modelFormatForFiles([file('model.json', '{}'), file('group1-shard1of1.bin', '')])?.id).toBe('tfjs');
    expect(modelFormatForFiles([file('vgg19.safetensors', '')])?.id).toBe('safetensors');
    // The converted format's manifest is its own format, not a tfjs model.json.
    expect(modelFormatForFiles([file('vgg19.fixations.json', '{}'), file('vgg19-00001-of-00001.bin', '')])?.id).toBe('converted');
    expect(modelFormatForFiles([file('names.txt', 'a')])).toBeNull();
  });

  it('load a darknet model with its names, reporting progress on the weights', async () => {
    const { cfg, weights } = writeDarknet(model);
    const progress: [string, number, number | null][] = [];
    const loaded = await darknetFormat.fromFiles(
      [file('net.cfg', cfg), file('net.weights', weights), file('names.txt', labels.join('\n'))],
      (name, done, total) => progress.push([name, done, total]),
    );
    expect(loaded.labels).toEqual(labels);
    expect(loaded.nodes.map((l) => l.name)).toEqual(['conv1', 'pool1', 'flatten1', 'fc1', 'softmax']);
    expect(progress.at(-1)).toEqual(['net.weights', weights.byteLength, weights.byteLength]);
  });

  it('name the file and the problem when a part is missing or cut short', async () => {
    const { cfg, weights } = writeDarknet(model);
    await expect(darknetFormat.fromFiles([file('net.cfg', cfg)], () => {})).rejects.toThrow(/^net\.cfg: needs its \.weights file/);
    await expect(darknetFormat.fromFiles([file('net.cfg', cfg), file('net.weights', weights.subarray(0, 200))], () => {})).rejects.toThrow(
      /^net\.weights: ends at byte 200 .* truncated/,
    );
    const { modelJson } = writeTfjs(model);
    await expect(tfjsFormat.fromFiles([file('model.json', modelJson)], () => {})).rejects.toThrow(/^model\.json: lists weight shard ".*", which was not dropped/);
  });

  it('load a TensorFlow.js model from model.json and its shards', async () => {
    const { modelJson, shards } = writeTfjs(model);
    const files = [file('model.json', modelJson), ...[...shards].map(([path, bytes]) => file(path.split('/').pop()!, bytes))];
    const loaded = await tfjsFormat.fromFiles(files, () => {});
    expect(loaded.nodes.filter((l) => 'weight' in l)).toHaveLength(2);
  });
});

describe('models by URL', () => {
  let server: StaticServer;
  const dir = mkdtempSync(join(tmpdir(), 'fixations-web-'));
  const savedLocation = (globalThis as { location?: unknown }).location;
  let weightsBytes = 0;

  beforeAll(async () => {
    const { cfg, weights } = writeDarknet(model);
    mkdirSync(join(dir, 'net'));
    writeFileSync(join(dir, 'net', 'net.cfg'), cfg);
    writeFileSync(join(dir, 'net', 'net.weights'), weights);
    writeFileSync(join(dir, 'net', 'names.txt'), labels.join('\n'));
    weightsBytes = weights.byteLength;
    server = await serveFolders({ '/': dir });
    (globalThis as { location?: unknown }).location = new URL(`${server.url}/index.html`);
  });

  afterAll(async () => {
    (globalThis as { location?: unknown }).location = savedLocation;
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads darknet files from query parameters, with download progress', async () => {
    const source = sourceFromQuery(new URLSearchParams('cfg=net/net.cfg&weights=net/net.weights&names=net/names.txt'))!;
    expect(source).toMatchObject({ format: 'darknet', label: 'net.cfg', files: { cfg: `${server.url}/net/net.cfg` } });
    const progress: number[] = [];
    const loaded = await darknetFormat.fromUrls(source, (_, done) => progress.push(done));
    expect(loaded.labels).toEqual(labels);
    expect(progress.at(-1)).toBe(weightsBytes);
  });

  it('says which URL failed and how', async () => {
    const source = sourceFromQuery(new URLSearchParams('cfg=net/net.cfg&weights=net/missing.weights'))!;
    await expect(darknetFormat.fromUrls(source, () => {})).rejects.toThrow(/could not download .*\/net\/missing\.weights: the server answered 404/);
  });

  it('describes tfjs and safetensors models and registry entries with URLs relative to where they are listed', () => {
    expect(sourceFromQuery(new URLSearchParams('tfjs=m/model.json'))).toMatchObject({ format: 'tfjs', files: { model: `${server.url}/m/model.json` } });
    expect(sourceFromQuery(new URLSearchParams('safetensors=v/vgg19.safetensors&arch=vgg19'))).toMatchObject({ format: 'safetensors', arch: 'vgg19' });
    expect(sourceFromQuery(new URLSearchParams('rule=official'))).toBeNull();
    const registry = parseRegistry(
      { models: [{ id: 'tiny', label: 'Tiny Darknet', format: 'darknet', files: { cfg: 'tiny/tiny.cfg', weights: 'tiny/tiny.weights' } }], gallery: ['gallery/dog.jpg'] },
      'http://host/app/weights/models.json',
    );
    expect(registry.models[0].files.cfg).toBe('http://host/app/weights/tiny/tiny.cfg');
    expect(registry.gallery).toEqual(['http://host/app/weights/gallery/dog.jpg']);
  });
});

describe('the weights/ listing of the dev server', () => {
  it('lists one entry per model (the converted form where there is one), converted first, and the gallery', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fixations-weights-'));
    const { cfg, weights } = writeDarknet(model);
    const { modelJson, shards } = writeTfjs(model);
    for (const folder of ['tiny-darknet', 'extraction', 'tiny-vgg', 'vgg16', 'gallery']) mkdirSync(join(dir, folder));
    // What weights get leaves: the downloads and, beside them, the converted model.
    writeFileSync(join(dir, 'tiny-darknet', 'tiny.cfg'), cfg);
    writeFileSync(join(dir, 'tiny-darknet', 'tiny.weights'), weights);
    writeFileSync(join(dir, 'tiny-darknet', 'imagenet.shortnames.list'), labels.join('\n'));
    writeFileSync(join(dir, 'tiny-darknet', 'tiny-darknet.fixations.json'), JSON.stringify({ name: 'tiny-darknet' }));
    writeFileSync(join(dir, 'tiny-darknet', 'tiny-darknet-00001-of-00001.bin'), new Uint8Array(4000));
    writeFileSync(join(dir, 'extraction', 'extraction.cfg'), cfg);
    writeFileSync(join(dir, 'extraction', 'extraction.weights'), weights);
    writeFileSync(join(dir, 'tiny-vgg', 'model.json'), modelJson);
    for (const [path, bytes] of shards) writeFileSync(join(dir, 'tiny-vgg', path), bytes);
    writeFileSync(join(dir, 'vgg16', 'model.safetensors'), new Uint8Array(100_000));
    writeFileSync(join(dir, 'gallery', 'dog.jpg'), 'x');
    writeFileSync(join(dir, 'manifest.json'), '{}');
    const listing = await listWeights(dir);
    expect(listing.models?.map((m) => [m.format, m.label, m.files])).toEqual([
      ['converted', 'Tiny Darknet', { manifest: 'tiny-darknet/tiny-darknet.fixations.json' }],
      ['darknet', 'extraction: extraction (darknet)', { cfg: 'extraction/extraction.cfg', weights: 'extraction/extraction.weights' }],
      ['safetensors', 'vgg16 (safetensors)', { checkpoint: 'vgg16/model.safetensors' }],
      ['tfjs', 'tiny-vgg (TensorFlow.js)', { model: 'tiny-vgg/model.json' }],
    ]);
    expect(listing.models?.[0].bytes).toBe(4000);
    expect(listing.gallery).toEqual(['gallery/dog.jpg']);
    rmSync(dir, { recursive: true, force: true });
  });
});
