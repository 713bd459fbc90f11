/** `fixations weights get | convert | list` as a user runs them, against a local server; no GPU needed. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFile } from '../src/weights/load-model-node.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { startFileServer, type FileServer } from './helpers/file-server.ts';
import { darknetLikeArchitecture, randomInput } from './helpers/nets.ts';
import { writeDarknet, writeKerasH5 } from './helpers/writers.ts';

const run = promisify(execFile);
const cli = new URL('../bin/fixations.js', import.meta.url).pathname;

const darknetArch = darknetLikeArchitecture(6, 5);

describe('the weights command', () => {
  let server: FileServer;
  const scratch = mkdtempSync(join(tmpdir(), 'fixations-weights-cli-'));
  const cacheDir = join(scratch, 'cache');
  const manifestPath = join(scratch, 'manifest.json');
  const env = { ...process.env, FIXATIONS_WEIGHTS_DIR: cacheDir, FIXATIONS_WEIGHTS_MANIFEST: manifestPath };

  async function fixations(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env, cwd: scratch });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  beforeAll(async () => {
    const darknet = writeDarknet(randomModel(darknetArch, 61));
    server = await startFileServer(
      new Map([
        ['/tiny.cfg', { body: new TextEncoder().encode(darknet.cfg) }],
        ['/tiny.weights', { body: darknet.weights }],
        ['/names.list', { body: new TextEncoder().encode('a\nb\nc\nd\ne\nf\n') }],
      ]),
    );
    const file = (name: string, role: string) => ({ name, role, urls: [server.url(`/${name}`)], size: null, sha256: null, md5: null });
    const manifest = {
      version: 1,
      models: {
        'tiny-dark': { description: 'a tiny darknet', format: 'darknet', arch: null, preprocess: 'darknet', labels: { kind: 'file', file: 'names.list', count: 5 }, files: [file('tiny.cfg', 'checkpoint'), file('tiny.weights', 'darknet-weights'), file('names.list', 'labels')] },
        'half-done': { description: 'interrupted', format: 'keras-h5', arch: 'vgg19', preprocess: 'caffe', labels: { kind: 'imagenet' }, files: [{ ...file('w.h5', 'checkpoint'), size: 1000 }] },
        gone: { description: 'not on the server', format: 'keras-h5', arch: 'vgg16', preprocess: 'caffe', labels: { kind: 'imagenet' }, files: [file('missing.h5', 'checkpoint')] },
      },
    };
    writeFileSync(manifestPath, JSON.stringify(manifest));
  });
  afterAll(() => server.close());

  it('get downloads with plain progress lines on a non-terminal stderr, converts, and says how to use it', async () => {
    const { code, stdout, stderr } = await fixations('weights', 'get', 'tiny-dark');
    expect(code).toBe(0);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^tiny\.cfg: 227 B in \d+s \([\d.]+ k?B\/s\)$/), expect.stringMatching(/^tiny\.weights: 828 B in \d+s/), expect.stringMatching(/^names\.list: 12 B in \d+s/)]);
    expect(stdout.split('\n').slice(0, 2)).toEqual(['tiny-dark: a tiny darknet', `  in ${join(cacheDir, 'tiny-dark')} (from $FIXATIONS_WEIGHTS_DIR)`]);
    expect(stdout).toMatch(/converted: .*tiny-dark\.fixations\.json \+ 1 binary file \(812 B\)/);
    expect(stdout).toContain('ready: npx fixations explain photo.jpg --model tiny-dark');
    expect(existsSync(join(cacheDir, 'tiny-dark', 'tiny-dark-00001-of-00001.bin'))).toBe(true);
  });

  it('list shows converted, interrupted and missing models', async () => {
    mkdirSync(join(cacheDir, 'half-done'), { recursive: true });
    writeFileSync(join(cacheDir, 'half-done', 'w.h5.part'), new Uint8Array(400));
    const { code, stdout } = await fixations('weights', 'list');
    expect(code).toBe(0);
    expect(stdout).toContain(`weights cache: ${cacheDir} (from $FIXATIONS_WEIGHTS_DIR)`);
    expect(stdout).toMatch(/tiny-dark +converted, 812 B\n +a tiny darknet/);
    expect(stdout).toMatch(/half-done +interrupted: w\.h5 400 B of 1\.00 kB \(weights get resumes\)/);
    expect(stdout).toMatch(/gone +not downloaded/);
  });

  it('list says when a stored file did not load and was set aside', async () => {
    writeFileSync(join(cacheDir, 'tiny-dark', 'tiny.weights.bad'), new Uint8Array(10));
    const { code, stdout } = await fixations('weights', 'list');
    expect(code).toBe(0);
    expect(stdout).toMatch(/tiny-dark +converted, 812 B; tiny\.weights\.bad did not load and was set aside \(delete once the model works\)/);
  });

  it('convert refuses a --name that is not a plain file name, in one line, writing nothing', async () => {
    const { code, stderr } = await fixations('weights', 'convert', join(cacheDir, 'tiny-dark', 'tiny.cfg'), '--name', '../../x');
    expect(code).toBe(1);
    expect(stderr).toBe('error: --name ../../x is not a plain file name: the converted files are named after it; give a name such as my-model\n');
  });

  it('convert writes the converted format that --model then loads, with the same outputs', async () => {
    const model = randomModel(vggArchitecture(16, { widths: [4, 4, 8, 8, 8], inputSize: 32, hidden: 8, classes: 6 }), 62);
    const h5 = join(scratch, 'my_vgg16.h5');
    writeFileSync(h5, await writeKerasH5(model));
    const out = join(scratch, 'converted');
    const { code, stdout } = await fixations('weights', 'convert', h5, '--arch', 'vgg16', '--out', out, '--name', 'my-vgg16');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^my-vgg16: 23 nodes, 32×32, 6 classes; preprocessing: stretched to 32×32, nearest pixel \(PIL NEAREST, Keras load_img\), BGR \[0, 255\], minus mean$/m);
    expect(stdout).toMatch(/wrote .*my-vgg16\.fixations\.json \+ 1 binary file \(/);
    const converted = await loadModelFile(join(out, 'my-vgg16.fixations.json'));
    const input = randomInput(3 * 32 * 32, 1);
    expect(forwardReference(converted, input).get(converted.output)).toEqual(forwardReference(model, input).get(model.output));
  });

  it('fails with one clear line: a 404, a model not downloaded, a wrong --arch', async () => {
    let result = await fixations('weights', 'get', 'gone');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: could not download missing\.h5: http:\/\/127\.0\.0\.1:\d+\/missing\.h5 answered 404 Not Found\. To place it by hand, .* save it as .*gone\/missing\.h5, then run "npx fixations weights get gone" again\.$/m);

    result = await fixations('classify', 'photo.jpg', '--model', 'gone');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: gone is not downloaded yet \(looked in .*gone\): run "npx fixations weights get gone"$/m);

    result = await fixations('weights', 'convert', join(scratch, 'my_vgg16.h5'), '--arch', 'vgg19', '--out', scratch);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: my_vgg16\.h5: has 13 convolutions but vgg19 has 16$/m);
  });
});
