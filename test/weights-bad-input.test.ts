/**
 * The weights commands given bad input (issue 13, items 2, 9 and 10): names that would write outside the output
 * folder, a manifest file name "..", a download cut short where nothing says its size, a stored file that does not
 * load, and an offline machine with several files missing. A local server; no internet, no GPU.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain } from '../src/graph/model.ts';
import { randomModel } from '../src/graph/random-model.ts';
import { cachedModelState, readWeightsManifest } from '../src/weights/cache.ts';
import { DownloadError, downloadFile } from '../src/weights/download.ts';
import { getWeights } from '../src/weights/get.ts';
import { parseWeightsManifest } from '../src/weights/manifest.ts';
import { convertModelFile, OutputNameError, writeConvertedModel } from '../src/weights/write-converted.ts';
import { closedPort, startFileServer, type FileServer } from './helpers/file-server.ts';
import { darknetLikeArchitecture } from './helpers/nets.ts';
import { writeDarknet, writeTfjs } from './helpers/writers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'fixations-weights-bad-'));
const darknetModel = randomModel(darknetLikeArchitecture(6, 5), 91);
const darknet = writeDarknet(darknetModel);
const names = 'a\nb\nc\nd\ne\n';
const tfjsModel = randomModel(
  {
    name: 'relu-net',
    input: { channels: 3, height: 8, width: 8 },
    preprocess: darknetModel.preprocess,
    ...chain([
      { kind: 'conv2d', name: 'conv1', kernel: 3, stride: 1, padding: 1, inChannels: 3, outChannels: 4, activation: 'relu' },
      { kind: 'flatten', name: 'flatten1' },
      { kind: 'dense', name: 'fc1', inFeatures: 256, outFeatures: 3, activation: 'linear' },
    ]),
  },
  92,
);

describe('converted names stay plain file names (item 2)', () => {
  it('a model named "../escaped" or --name ../../x writes nothing outside --out', async () => {
    const folder = join(scratch, 'convert');
    mkdirSync(join(folder, 'src'), { recursive: true });
    const { modelJson, shards } = writeTfjs(tfjsModel);
    const json = JSON.parse(modelJson);
    json.modelTopology.model_config.config.name = '../escaped';
    writeFileSync(join(folder, 'src', 'model.json'), JSON.stringify(json));
    for (const [path, bytes] of shards) writeFileSync(join(folder, 'src', path), bytes);
    const out = join(folder, 'out');

    await expect(convertModelFile(join(folder, 'src', 'model.json'), { out })).rejects.toThrow(OutputNameError);
    await expect(convertModelFile(join(folder, 'src', 'model.json'), { out })).rejects.toThrow(/model\.json names its model "\.\.\/escaped", which is not a plain file name to write under; give --name/);
    await expect(convertModelFile(join(folder, 'src', 'model.json'), { out, name: '../../x' })).rejects.toThrow(/--name \.\.\/\.\.\/x is not a plain file name/);
    await expect(writeConvertedModel({ ...tfjsModel, name: 'sub/x' }, out)).rejects.toThrow(/"sub\/x", which is not a plain file name/);
    expect(readdirSync(folder).sort()).toEqual(['src']);
    expect(existsSync(join(scratch, 'x.fixations.json'))).toBe(false);

    const written = await convertModelFile(join(folder, 'src', 'model.json'), { out, name: 'fine' });
    expect(written.written.manifestPath).toBe(join(out, 'fine.fixations.json'));
  });
});

describe('the weights manifest (item 10)', () => {
  it('a file name ".." (or ".") is not a plain file name', () => {
    const model = { description: '', format: 'keras-h5', arch: 'vgg19', preprocess: 'caffe', labels: { kind: 'imagenet' }, files: [{ name: 'w.h5', role: 'checkpoint', urls: ['https://x/w.h5'], size: null, sha256: null, md5: null }] };
    for (const name of ['..', '.', '...']) {
      const text = JSON.stringify({ version: 1, models: { x: { ...model, files: [{ ...model.files[0], name }] } } });
      expect(() => parseWeightsManifest(text, 'm.json'), name).toThrow(/files\[0\]\.name must be a plain file name/);
    }
  });
});

/** A server that sends a body without Content-Length and closes the connection early, as HTTP/1.0 servers may. */
async function closeDelimitedServer(body: Uint8Array, cutAt: number): Promise<{ server: Server; url: string; requests: (string | undefined)[] }> {
  const requests: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers.range);
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (match) {
      const start = Number(match[1]);
      if (start >= body.byteLength) return res.writeHead(416, { 'Content-Range': `bytes */${body.byteLength}` }).end();
      return res.writeHead(206, { 'Content-Range': `bytes ${start}-${body.byteLength - 1}/${body.byteLength}`, 'Content-Length': String(body.byteLength - start) }).end(body.subarray(start));
    }
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.writeHead(200, { Connection: 'close' });
    res.write(body.subarray(0, cutAt), () => setTimeout(() => res.socket?.destroy(), 30));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tiny.weights`, requests };
}

describe('downloads whose size nothing states (item 9)', () => {
  it('a body cut short without Content-Length is noticed (the server still has bytes after it) and resumed', async () => {
    const { server, url, requests } = await closeDelimitedServer(darknet.weights, 300);
    try {
      const destination = join(scratch, 'cut', 'tiny.weights');
      const result = await downloadFile({ urls: [url], destination });
      expect(result.bytes).toBe(darknet.weights.byteLength);
      expect(readFileSync(destination).equals(Buffer.from(darknet.weights))).toBe(true);
      // The probe after the early end finds more bytes; the resumption then fetches them.
      expect(requests).toEqual([undefined, 'bytes=300-', 'bytes=300-']);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a whole body without Content-Length is confirmed with one Range request (416) and kept', async () => {
    const { server, url, requests } = await closeDelimitedServer(darknet.weights, darknet.weights.byteLength);
    try {
      const destination = join(scratch, 'whole', 'tiny.weights');
      await downloadFile({ urls: [url], destination });
      expect(statSync(destination).size).toBe(darknet.weights.byteLength);
      expect(requests).toEqual([undefined, `bytes=${darknet.weights.byteLength}-`]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('weights get with a stored file that does not load, and offline (items 9 and 10)', () => {
  let server: FileServer;
  const cacheDir = join(scratch, 'cache');
  const manifestPath = join(scratch, 'manifest.json');

  beforeAll(async () => {
    server = await startFileServer(
      new Map([
        ['/tiny.cfg', { body: new TextEncoder().encode(darknet.cfg) }],
        ['/tiny.weights', { body: darknet.weights }],
        ['/names.list', { body: new TextEncoder().encode(names) }],
        ['/wrong/tiny.weights', { body: darknet.weights.subarray(0, 100) }],
      ]),
    );
    const port = await closedPort();
    const file = (name: string, role: string, url: string) => ({ name, role, urls: [url], size: null, sha256: null, md5: null });
    const darknetEntry = (prefix: string, weightsUrl = server.url(`${prefix}/tiny.weights`)) => ({
      description: 'a tiny darknet',
      format: 'darknet',
      arch: null,
      preprocess: 'darknet',
      labels: { kind: 'file', file: 'names.list', count: 5 },
      files: [file('tiny.cfg', 'checkpoint', server.url('/tiny.cfg')), file('tiny.weights', 'darknet-weights', weightsUrl), file('names.list', 'labels', server.url('/names.list'))],
    });
    const offline = (name: string) => `http://127.0.0.1:${port}/${name}`;
    writeFileSync(
      manifestPath,
      JSON.stringify({
        version: 1,
        models: {
          'tiny-dark': darknetEntry(''),
          'always-short': darknetEntry('', server.url('/wrong/tiny.weights')),
          offline: { ...darknetEntry(''), files: [file('tiny.cfg', 'checkpoint', offline('tiny.cfg')), file('tiny.weights', 'darknet-weights', offline('tiny.weights')), file('names.list', 'labels', offline('names.list'))] },
        },
      }),
    );
  });
  afterAll(() => server.close());

  const get = (name: string) => getWeights(name, { dir: cacheDir, manifest: manifestPath });

  it('a short tiny.weights already stored is moved aside and fetched again, and the model converts', async () => {
    const folder = join(cacheDir, 'tiny-dark');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'tiny.weights'), darknet.weights.subarray(0, 500));
    const log: string[] = [];
    const result = await getWeights('tiny-dark', { dir: cacheDir, manifest: manifestPath, log: (line) => log.push(line) });
    expect(log.join('\n')).toMatch(/tiny\.weights does not load \(tiny\.weights: ends at byte 500 .*\); moved it aside to tiny\.weights\.bad and downloading it again/);
    expect(result.converted?.manifestPath).toBe(join(folder, 'tiny-dark.fixations.json'));
    expect(readFileSync(join(folder, 'tiny.weights')).equals(Buffer.from(darknet.weights))).toBe(true);
    expect(statSync(join(folder, 'tiny.weights.bad')).size).toBe(500);
    const state = await cachedModelState(cacheDir, (await readWeightsManifest(manifestPath)).models[0]);
    expect(state.files.find((f) => f.name === 'tiny.weights')).toMatchObject({ state: 'complete', setAside: true });
  });

  it('a source that keeps serving a file that does not load: one message saying which file, where it went, and what to do', async () => {
    await expect(get('always-short')).rejects.toThrow(
      /tiny\.weights does not load, also after downloading it again \(tiny\.weights: ends at byte 100 .*\); it was moved aside to .*always-short\/tiny\.weights\.bad\. http:.*\/wrong\/tiny\.weights does not serve what .*manifest\.json describes: save the right file as .*always-short\/tiny\.weights/,
    );
    expect(existsSync(join(cacheDir, 'always-short', 'tiny.weights'))).toBe(false);
  });

  it('offline, every missing file is named in one message, with where each goes', async () => {
    const failed = get('offline');
    await expect(failed).rejects.toThrow(DownloadError);
    const message = await get('offline').catch((e: Error) => e.message);
    expect(message).toMatch(/^could not get 3 files of offline: tiny\.cfg: .*connection refused.*; tiny\.weights: .*; names\.list: .*\. Are you offline\? To place them by hand, .* save them as .*offline\/tiny\.cfg, .*offline\/tiny\.weights, .*offline\/names\.list, then run/);
    expect(message).not.toMatch(/\n/);
  });
});
