import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultManifestPath, packageRoot, readWeightsManifest, userCacheDir, weightsCacheDir } from '../src/weights/cache.ts';
import { looksLikeModelName } from '../src/weights/cached-model.ts';
import { verifyFile } from '../src/weights/download.ts';
import { parseWeightsManifest, preprocessFor } from '../src/weights/manifest.ts';
import { sharedPath } from './helpers/shared-data.ts';
import { caffePreprocess, darknetPreprocess, torchvisionPreprocess } from '../src/model/preprocess.ts';

describe('weights cache location', () => {
  const none = {};
  it('is --dir, else $FIXATIONS_WEIGHTS_DIR, else weights/ when run inside the repository, else the user cache', () => {
    expect(weightsCacheDir({ dir: 'some/where', env: { FIXATIONS_WEIGHTS_DIR: '/env' } })).toEqual({ dir: join(process.cwd(), 'some/where'), reason: '--dir' });
    expect(weightsCacheDir({ env: { FIXATIONS_WEIGHTS_DIR: '/env' } })).toEqual({ dir: '/env', reason: 'FIXATIONS_WEIGHTS_DIR' });
    expect(weightsCacheDir({ env: none, cwd: join(packageRoot, 'src') })).toEqual({ dir: join(packageRoot, 'weights'), reason: 'repository' });
    expect(weightsCacheDir({ env: none, cwd: '/', platform: 'linux', home: '/home/ada' })).toEqual({ dir: '/home/ada/.cache/webgpu-fixations', reason: 'user cache' });
  });

  it("follows each platform's convention for the user cache", () => {
    expect(userCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/ada')).toBe('/xdg/webgpu-fixations');
    expect(userCacheDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Caches/webgpu-fixations');
    expect(userCacheDir({ LOCALAPPDATA: 'C:/Users/ada/AppData/Local' }, 'win32', 'C:/Users/ada')).toBe(join('C:/Users/ada/AppData/Local', 'webgpu-fixations', 'Cache'));
  });

  it('tells model names from file paths', () => {
    expect(['vgg19', 'vgg16-keras', 'tiny-darknet'].every(looksLikeModelName)).toBe(true);
    expect(['model.json', 'tiny.cfg', 'x/vgg19', 'vgg.safetensors', 'w.h5', './vgg19'].some(looksLikeModelName)).toBe(false);
  });
});

describe('weights manifest', () => {
  it('ships the public sources: timm safetensors, Keras .h5 with the MD5s Keras checks, darknet', async () => {
    const manifest = await readWeightsManifest(defaultManifestPath, {});
    const byName = new Map(manifest.models.map((m) => [m.name, m]));
    expect([...byName.keys()]).toEqual(['vgg19', 'vgg16', 'vgg19-keras', 'vgg16-keras', 'tiny-darknet', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'densenet121', 'vgg11', 'vgg13', 'vgg11_bn', 'vgg13_bn', 'vgg16_bn', 'vgg19_bn']);
    expect(byName.get('vgg16_bn')).toMatchObject({ format: 'safetensors-timm', arch: 'vgg16_bn', preprocess: 'torchvision', labels: { kind: 'imagenet' } });
    expect(byName.get('vgg16_bn')!.files[0].urls).toEqual(['https://huggingface.co/timm/vgg16_bn.tv_in1k/resolve/main/model.safetensors']);
    expect(byName.get('resnet50')).toMatchObject({ format: 'safetensors-timm', arch: 'resnet50', preprocess: 'torchvision', labels: { kind: 'imagenet' } });
    expect(byName.get('resnet50')!.files[0].urls).toEqual(['https://huggingface.co/timm/resnet50.tv_in1k/resolve/main/model.safetensors']);
    expect(byName.get('vgg19')).toMatchObject({ format: 'safetensors-timm', arch: 'vgg19', preprocess: 'torchvision', labels: { kind: 'imagenet' } });
    expect(byName.get('vgg19')!.files[0].urls).toEqual(['https://huggingface.co/timm/vgg19.tv_in1k/resolve/main/model.safetensors']);
    expect(byName.get('vgg19-keras')).toMatchObject({ format: 'keras-h5', preprocess: 'caffe' });
    expect(byName.get('vgg19-keras')!.files[0].md5).toBe('cbe5617147190e668d6c5d5026f83318');
    expect(byName.get('vgg16-keras')!.files[0].md5).toBe('64373286793e3c8b2b4e3219cbf3544b');
    expect(byName.get('tiny-darknet')).toMatchObject({ format: 'darknet', preprocess: 'darknet', labels: { kind: 'file', file: 'imagenet.shortnames.list', count: 1000 } });
    // Nothing is claimed that was not checked: the only size and SHA-256 are tiny.weights's, checked below against the
    // published file kept in ../shared/data.
    const claimed = manifest.models.flatMap((m) => m.files).filter((f) => f.size !== null || f.sha256 !== null);
    expect(claimed.map((f) => f.name)).toEqual(['tiny.weights']);
  });

  it("records the size and SHA-256 of darknet's published tiny.weights, which the shared copy has", async () => {
    const shared = sharedPath('tiny-darknet/tiny.weights');
    if (!existsSync(shared)) return; // the shared data is absent: nothing to check against
    const manifest = await readWeightsManifest(defaultManifestPath, {});
    const file = manifest.models.find((m) => m.name === 'tiny-darknet')!.files.find((f) => f.name === 'tiny.weights')!;
    await verifyFile(shared, file);
  });

  it("maps each source to its own preprocessing at the model's size", () => {
    expect(preprocessFor('torchvision', { channels: 3, width: 224, height: 224 })).toEqual(torchvisionPreprocess);
    expect(preprocessFor('caffe', { channels: 3, width: 224, height: 224 })).toEqual(caffePreprocess);
    expect(preprocessFor('darknet', { channels: 3, width: 256, height: 256 })).toEqual(darknetPreprocess(256, 256));
  });

  it('rejects a malformed manifest, naming the entry', () => {
    const model = { description: '', format: 'keras-h5', arch: 'vgg19', preprocess: 'caffe', labels: { kind: 'imagenet' }, files: [{ name: 'w.h5', role: 'checkpoint', urls: ['https://example.org/w.h5'], size: null, sha256: null, md5: null }] };
    const parse = (models: unknown, version = 1) => () => parseWeightsManifest(JSON.stringify({ version, models }), 'm.json');
    expect(parse({ x: model })()).toMatchObject({ models: [{ name: 'x' }] });
    expect(parse({ x: model }, 2)).toThrow('m.json: has version 2; this build reads version 1');
    expect(parse({ x: { ...model, format: 'pickle' } })).toThrow(/models\.x\.format must be one of/);
    expect(parse({ x: { ...model, arch: null } })).toThrow(/models\.x\.arch is needed for keras-h5 checkpoints/);
    expect(parse({ x: { ...model, files: [{ ...model.files[0], sha256: 'abc' }] } })).toThrow(/files\[0\]\.sha256 must be 64 lowercase hex digits or null/);
    expect(parse({ x: { ...model, files: [{ ...model.files[0], urls: ['ftp://x'] }] } })).toThrow(/urls must list http\(s\) URLs/);
    expect(parse({ x: { ...model, files: [{ ...model.files[0], name: '../w.h5' }] } })).toThrow(/name must be a plain file name/);
    expect(parse({ x: { ...model, labels: { kind: 'file', file: 'names.txt', count: 3 } } })).toThrow(/labels\.file must name one of its files with role "labels"/);
    expect(() => parseWeightsManifest('{', 'm.json')).toThrow(/m\.json: is not valid JSON/);
  });
});
