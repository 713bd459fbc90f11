/**
 * Node side of the page's "Download" button (the Vite dev server only, see vite.config.ts; never bundled into the
 * page): `POST /__fixations/weights/get?name=tiny-darknet` runs `weights get` (src/weights/get.ts: the CLI's own
 * downloader, checks and conversion) into `weights/` and streams what happens to the page as JSON lines, one
 * {@link WeightsGetEvent} each. `GET` on the same path tells the page that the button can work here.
 */
import { resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DownloadProgress } from '../weights/download.ts';
import { weightsGetPath, type WeightsGetEvent, type WeightsGetStatus } from './weights-get-protocol.ts';

type Next = (error?: unknown) => void;

/** At most one progress line per file every `interval` ms, and always its last. */
function throttledProgress(send: (event: WeightsGetEvent) => void, interval = 200) {
  return () => {
    let last = 0;
    const post = (p: DownloadProgress) => send({ type: 'progress', file: p.file, received: p.received, total: p.total });
    return {
      update(p: DownloadProgress) {
        const now = performance.now();
        if (now - last < interval) return;
        last = now;
        post(p);
      },
      finish(p: DownloadProgress | null) {
        if (p) post(p);
      },
    };
  };
}

export function weightsGetMiddleware(weightsDir: string, options: { manifest?: string } = {}) {
  let running: string | null = null;
  return async (request: IncomingMessage, response: ServerResponse, next: Next): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== weightsGetPath) return next();
    if (request.method === 'GET') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ available: true, folder: resolve(weightsDir), running } satisfies WeightsGetStatus));
      return;
    }
    if (request.method !== 'POST') {
      response.statusCode = 405;
      response.end();
      return;
    }
    const name = url.searchParams.get('name') ?? '';
    if (running) {
      response.statusCode = 409;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ type: 'error', message: `${running} is being downloaded already; wait for it to finish` }));
      return;
    }
    running = name;
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    const send = (event: WeightsGetEvent) => response.write(`${JSON.stringify(event)}\n`);
    try {
      const [{ getWeights }, { weightsCacheDir }] = await Promise.all([import('../weights/get.ts'), import('../weights/cache.ts')]);
      // Without --dir when weights/ is where the command would put them anyway, so messages show the plain command.
      const dir = weightsCacheDir().dir === resolve(weightsDir) ? undefined : weightsDir;
      const result = await getWeights(name, {
        dir,
        manifest: options.manifest,
        reporter: throttledProgress(send),
        log: (line) => send({ type: 'log', line }),
        onStart: (entry, folder) => send({ type: 'start', name, description: entry.description, folder }),
      });
      send({ type: 'done', converted: result.convertedPath });
    } catch (error) {
      send({ type: 'error', message: (error as Error).message });
    } finally {
      running = null;
      response.end();
    }
  };
}
