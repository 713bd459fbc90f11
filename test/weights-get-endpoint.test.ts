/**
 * The dev server's `weights get` endpoint behind the page's download button (src/web/weights-get-node.ts), offline: a
 * local server holds a small darknet model; the endpoint must stream the download's progress, leave the converted
 * model in the weights folder (listed once, by its label), and on a failed download pass on `weights get`'s own
 * message, which says where to put the file by hand.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomModel } from '../src/graph/random-model.ts';
import { weightsGetMiddleware } from '../src/web/weights-get-node.ts';
import { weightsGetPath, type WeightsGetEvent, type WeightsGetStatus } from '../src/web/weights-get-protocol.ts';
import { listWeights } from '../src/web/weights-listing-node.ts';
import { startFileServer, type FileServer } from './helpers/file-server.ts';
import { darknetLikeArchitecture } from './helpers/nets.ts';
import { writeDarknet } from './helpers/writers.ts';

describe('the page\'s weights get endpoint', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'fixations-endpoint-'));
  const weightsDir = join(scratch, 'weights');
  const manifestPath = join(scratch, 'manifest.json');
  let files: FileServer;
  let server: Server;
  let base = '';

  beforeAll(async () => {
    const darknet = writeDarknet(randomModel(darknetLikeArchitecture(8, 7), 3));
    files = await startFileServer(
      new Map([
        ['/tiny.cfg', { body: new TextEncoder().encode(darknet.cfg) }],
        ['/tiny.weights', { body: darknet.weights }],
        ['/names.list', { body: new TextEncoder().encode(Array.from({ length: 7 }, (_, i) => `thing ${i}`).join('\n')) }],
      ]),
    );
    const file = (name: string, path: string, role: string) => ({ name, role, urls: [files.url(path)], size: null, sha256: null, md5: null });
    const darknetFiles = [file('tiny.cfg', '/tiny.cfg', 'checkpoint'), file('tiny.weights', '/tiny.weights', 'darknet-weights'), file('names.list', '/names.list', 'labels')];
    const model = { description: 'darknet', format: 'darknet', arch: null, preprocess: 'darknet', labels: { kind: 'file', file: 'names.list', count: 7 } };
    writeFileSync(
      manifestPath,
      JSON.stringify({
        version: 1,
        models: {
          'tiny-darknet': { ...model, files: darknetFiles },
          gone: { ...model, files: [file('tiny.cfg', '/missing.cfg', 'checkpoint'), ...darknetFiles.slice(1)] },
        },
      }),
    );
    const middleware = weightsGetMiddleware(weightsDir, { manifest: manifestPath });
    server = createServer((request, response) => void middleware(request, response, () => response.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await files.close();
    await new Promise((resolve) => server.close(resolve));
    rmSync(scratch, { recursive: true, force: true });
  });

  const post = async (name: string): Promise<WeightsGetEvent[]> => {
    const response = await fetch(`${base}${weightsGetPath}?name=${name}`, { method: 'POST' });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  };

  it('says it is there, and where it puts models', async () => {
    const status = (await (await fetch(`${base}${weightsGetPath}`)).json()) as WeightsGetStatus;
    expect(status).toEqual({ available: true, folder: weightsDir, running: null });
  });

  it('downloads and converts a model into the weights folder, streaming the progress, and the listing shows it once', async () => {
    const events = await post('tiny-darknet');
    expect(events[0]).toMatchObject({ type: 'start', name: 'tiny-darknet', folder: join(weightsDir, 'tiny-darknet') });
    expect(events.filter((e) => e.type === 'progress').map((e) => (e as { file: string }).file)).toEqual(expect.arrayContaining(['tiny.cfg', 'tiny.weights', 'names.list']));
    expect(events.at(-1)).toEqual({ type: 'done', converted: join(weightsDir, 'tiny-darknet', 'tiny-darknet.fixations.json') });
    const listing = await listWeights(weightsDir);
    expect(listing.models?.map((m) => [m.label, m.format])).toEqual([['Tiny Darknet', 'converted']]);
  });

  it('passes on weights get\'s message when a download fails: which file, and where to save it by hand', async () => {
    const events = await post('gone');
    const error = events.at(-1) as { type: string; message: string };
    expect(error.type).toBe('error');
    expect(error.message).toMatch(/could not download tiny\.cfg: .*404/);
    expect(error.message).toContain(`save it as ${join(weightsDir, 'gone', 'tiny.cfg')}, then run "npx fixations weights get gone --dir ${weightsDir}" again`);
  });
});
