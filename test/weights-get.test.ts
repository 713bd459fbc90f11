/**
 * `weights get` end to end, offline: a local server serves small synthetic checkpoints written with each source's own
 * tensor names, layouts and file format; each is downloaded, converted, and loaded back by name, and must compute
 * exactly what the original tensors compute, with that source's preprocessing and labels.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagenetLabels } from '../src/labels/imagenet.ts';
import { loadDarknet } from '../src/loaders/darknet.ts';
import { loadKerasH5 } from '../src/loaders/keras-h5.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { loadVggSafetensors } from '../src/loaders/safetensors.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import type { Model } from '../src/graph/model.ts';
import { caffePreprocess, darknetPreprocess, torchvisionPreprocess } from '../src/model/preprocess.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import { loadCachedModel, WeightsCacheError } from '../src/weights/cached-model.ts';
import { DownloadError } from '../src/weights/download.ts';
import { getWeights } from '../src/weights/get.ts';
import { startFileServer, type FileServer } from './helpers/file-server.ts';
import { darknetLikeArchitecture } from './helpers/nets.ts';
import { vggCheckpointTensors, writeDarknet, writeKerasH5, writeSafetensors } from './helpers/writers.ts';

const tinyVgg = (classes: number) => vggArchitecture(19, { widths: [4, 8, 8, 8, 8], inputSize: 32, hidden: 16, classes });

const darknetArch = darknetLikeArchitecture(8, 7);

/** A photo of odd size, so center-crop, resize and letterbox all resample. */
function photo(width: number, height: number, seed: number) {
  const random = seededRandom(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 4 }, () => Math.floor(random() * 256)) };
}

/** What the model predicts for a photo, the whole way: the model's own preprocessing, then the CPU reference. */
function predict(model: Model, seed = 5): Float32Array {
  return forwardReference(model, preprocessReference(photo(45, 37, seed), model.preprocess)).get(model.output)!;
}

describe('weights get, convert and load by name', () => {
  let server: FileServer;
  const scratch = mkdtempSync(join(tmpdir(), 'fixations-get-'));
  const cacheDir = join(scratch, 'cache');
  const manifestPath = join(scratch, 'manifest.json');
  const tenLabels = Array.from({ length: 10 }, (_, i) => `thing ${i}`);
  const darknetNames = Array.from({ length: 12 }, (_, i) => `darknet class ${i}`); // longer than the model, like imagenet.shortnames.list

  const torchvisionModel = randomModel(tinyVgg(10), 41);
  const timmModel = randomModel(tinyVgg(1000), 42);
  const kerasModel = randomModel(tinyVgg(10), 43);
  const darknetModel = randomModel(darknetArch, 44);
  const checkpoints: Record<string, Uint8Array> = {};

  beforeAll(async () => {
    checkpoints.torchvision = writeSafetensors(vggCheckpointTensors(torchvisionModel, 'torchvision'));
    checkpoints.timm = writeSafetensors(vggCheckpointTensors(timmModel, 'timm'));
    checkpoints.keras = await writeKerasH5(kerasModel, 'keras1');
    const darknet = writeDarknet(darknetModel);
    server = await startFileServer(
      new Map([
        ['/tv/vgg19.safetensors', { body: checkpoints.torchvision }],
        ['/tv/labels.txt', { body: new TextEncoder().encode(`${tenLabels.join('\n')}\n`) }],
        ['/timm/model.safetensors', { body: checkpoints.timm, dropAfter: 20_000 }],
        ['/keras/vgg19_weights_tf_dim_ordering_tf_kernels.h5', { body: checkpoints.keras }],
        ['/darknet/tiny.cfg', { body: new TextEncoder().encode(darknet.cfg) }],
        ['/darknet/tiny.weights', { body: darknet.weights }],
        ['/darknet/names.list', { body: new TextEncoder().encode(darknetNames.join('\n')) }],
      ]),
    );
    const file = (name: string, path: string, role = 'checkpoint', sha256: string | null = null) => ({ name, role, urls: [server.url(path)], size: null, sha256, md5: null });
    const manifest = {
      version: 1,
      models: {
        'tv-vgg19': { description: 'torchvision names', format: 'safetensors-torchvision', arch: 'vgg19', preprocess: 'torchvision', labels: { kind: 'file', file: 'labels.txt', count: 10 }, files: [file('vgg19.safetensors', '/tv/vgg19.safetensors'), file('labels.txt', '/tv/labels.txt', 'labels')] },
        'timm-vgg19': { description: 'timm names', format: 'safetensors-timm', arch: 'vgg19', preprocess: 'torchvision', labels: { kind: 'imagenet' }, files: [file('model.safetensors', '/timm/model.safetensors')] },
        'keras-vgg19': { description: 'keras.applications', format: 'keras-h5', arch: 'vgg19', preprocess: 'caffe', labels: { kind: 'file', file: 'labels.txt', count: 10 }, files: [file('vgg19_weights_tf_dim_ordering_tf_kernels.h5', '/keras/vgg19_weights_tf_dim_ordering_tf_kernels.h5'), file('labels.txt', '/tv/labels.txt', 'labels')] },
        'tiny-dark': { description: 'darknet', format: 'darknet', arch: null, preprocess: 'darknet', labels: { kind: 'file', file: 'names.list', count: 7 }, files: [file('tiny.cfg', '/darknet/tiny.cfg'), file('tiny.weights', '/darknet/tiny.weights', 'darknet-weights'), file('names.list', '/darknet/names.list', 'labels')] },
        'bad-hash': { description: 'wrong checksum', format: 'keras-h5', arch: 'vgg19', preprocess: 'caffe', labels: { kind: 'imagenet' }, files: [file('w.h5', '/keras/vgg19_weights_tf_dim_ordering_tf_kernels.h5', 'checkpoint', 'ab'.repeat(32))] },
        'gone': { description: '404', format: 'keras-h5', arch: 'vgg19', preprocess: 'caffe', labels: { kind: 'imagenet' }, files: [file('w.h5', '/nowhere/w.h5')] },
      },
    };
    writeFileSync(manifestPath, JSON.stringify(manifest));
  });
  afterAll(() => server.close());

  const get = (name: string) => getWeights(name, { dir: cacheDir, manifest: manifestPath });
  const byName = (name: string) => loadCachedModel(name, { dir: cacheDir, manifest: manifestPath });

  it('safetensors with torchvision names: same outputs as the original tensors, torchvision preprocessing, its labels file', async () => {
    const result = await get('tv-vgg19');
    expect(result.downloads.map((d) => d.path)).toEqual([join(cacheDir, 'tv-vgg19', 'vgg19.safetensors'), join(cacheDir, 'tv-vgg19', 'labels.txt')]);
    expect(result.converted?.manifestPath).toBe(join(cacheDir, 'tv-vgg19', 'tv-vgg19.fixations.json'));
    const loaded = await byName('tv-vgg19');
    expect(loaded.name).toBe('tv-vgg19');
    expect(loaded.preprocess).toEqual({ ...torchvisionPreprocess, width: 32, height: 32 });
    expect(loaded.labels).toEqual(tenLabels);
    // The source's own loader with its own preprocessing is the oracle for "same predictions".
    const source = loadVggSafetensors({ bytes: checkpoints.torchvision, arch: 'vgg19', labels: tenLabels });
    expect(predict(loaded)).toEqual(predict(source));
    expect(predict(loaded)).toEqual(predict({ ...torchvisionModel, preprocess: loaded.preprocess }));
  });

  it('safetensors with timm names, through a connection dropped mid-file: resumed, converted, ImageNet labels', async () => {
    const result = await get('timm-vgg19');
    const requests = server.requests.filter((r) => r.path === '/timm/model.safetensors');
    expect(requests.map((r) => r.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    expect(result.downloads[0].bytes).toBe(checkpoints.timm.byteLength);
    const loaded = await byName('timm-vgg19');
    expect(loaded.labels).toEqual(imagenetLabels);
    expect(loaded.preprocess.channelOrder).toBe('rgb');
    expect(predict(loaded)).toEqual(predict({ ...timmModel, preprocess: loaded.preprocess }));
  });

  it('Keras .h5: same outputs, Caffe preprocessing (BGR, Caffe means, no scaling)', async () => {
    await get('keras-vgg19');
    const loaded = await byName('keras-vgg19');
    expect(loaded.preprocess).toEqual({ ...caffePreprocess, width: 32, height: 32 });
    expect(loaded.labels).toEqual(tenLabels);
    const source = await loadKerasH5({ bytes: checkpoints.keras, labels: tenLabels });
    expect(predict(loaded)).toEqual(predict(source));
    expect(predict(loaded)).toEqual(predict({ ...kerasModel, preprocess: loaded.preprocess }));
    // BGR with Caffe means is not RGB: the same photo through torchvision's recipe gives other numbers.
    expect(predict(loaded)).not.toEqual(predict({ ...loaded, preprocess: { ...torchvisionPreprocess, width: 32, height: 32 } }));
  });

  it('darknet cfg + weights: same outputs, letterbox preprocessing, the first labels of a longer names list', async () => {
    await get('tiny-dark');
    const loaded = await byName('tiny-dark');
    expect(loaded.preprocess).toEqual(darknetPreprocess(16, 16));
    expect(loaded.labels).toEqual(darknetNames.slice(0, 7));
    const darknet = writeDarknet(darknetModel);
    const source = loadDarknet({ ...darknet, labels: darknetNames.slice(0, 7) });
    expect(predict(loaded)).toEqual(predict(source));
  });

  it('loads by name through loadModelFile, as --model <name> does, and skips finished downloads', async () => {
    process.env.FIXATIONS_WEIGHTS_DIR = cacheDir;
    process.env.FIXATIONS_WEIGHTS_MANIFEST = manifestPath;
    try {
      const loaded = await loadModelFile('keras-vgg19');
      expect(loaded.name).toBe('keras-vgg19');
      const before = server.requests.length;
      const again = await get('keras-vgg19');
      expect(server.requests.length).toBe(before);
      expect(again.present).toHaveLength(2);
      expect(again.converted).toBeNull();
    } finally {
      delete process.env.FIXATIONS_WEIGHTS_DIR;
      delete process.env.FIXATIONS_WEIGHTS_MANIFEST;
    }
  });

  it('without conversion, --model <name> reads the downloaded checkpoint with the source settings', async () => {
    const other = join(scratch, 'other-cache');
    await getWeights('keras-vgg19', { dir: other, manifest: manifestPath, convert: false });
    expect(readdirSync(join(other, 'keras-vgg19')).sort()).toEqual(['labels.txt', 'vgg19_weights_tf_dim_ordering_tf_kernels.h5']);
    const loaded = await loadCachedModel('keras-vgg19', { dir: other, manifest: manifestPath });
    expect(loaded.preprocess.channelOrder).toBe('bgr');
    expect(predict(loaded)).toEqual(predict(await byName('keras-vgg19')));
  });

  it('rejects a wrong checksum, keeping nothing, and a 404 with the manual placement', async () => {
    await expect(get('bad-hash')).rejects.toThrow(/has SHA-256 [0-9a-f]{64}, the manifest expects (ab){32}\. The download was deleted/);
    expect(readdirSync(join(cacheDir, 'bad-hash'))).toEqual([]);
    await expect(get('gone')).rejects.toThrow(DownloadError);
    await expect(get('gone')).rejects.toThrow(
      `could not download w.h5: ${server.url('/nowhere/w.h5')} answered 404 Not Found. To place it by hand, download it with a browser or another machine and save it as ${join(cacheDir, 'gone', 'w.h5')}, then run "npx fixations weights get gone --dir ${cacheDir}" again.`,
    );
  });

  it('says what to run when a model is not downloaded, and when a name is unknown', async () => {
    await expect(byName('gone')).rejects.toThrow(WeightsCacheError);
    await expect(byName('gone')).rejects.toThrow(`gone is not downloaded yet (looked in ${join(cacheDir, 'gone')}): run "npx fixations weights get gone"`);
    await expect(byName('vgg20')).rejects.toThrow(/"vgg20" is neither a model file nor a model in .*manifest\.json \(tv-vgg19, timm-vgg19, keras-vgg19, tiny-dark, bad-hash, gone\)/);
    await expect(get('vgg20')).rejects.toThrow(/has no model "vgg20"/);
    expect(existsSync(join(cacheDir, 'vgg20'))).toBe(false);
  });
});
