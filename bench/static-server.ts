/**
 * The benchmark page's server on 127.0.0.1: the built page, the peers' wasm files, and the subjects' data. Every
 * response carries COOP/COEP, so the page is cross-origin isolated and SharedArrayBuffer (wasm threads) exists.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';

/** A URL path prefix (`/ort/`) served from a folder. */
export interface FolderMount {
  prefix: string;
  folder: string;
}

/** One URL path served from memory or from a file. */
export type ServedFile = Uint8Array | { path: string };

export interface StaticServer {
  origin: string;
  files: Map<string, ServedFile>;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

function send(res: ServerResponse, urlPath: string, file: ServedFile): void {
  const headers = { ...isolationHeaders, 'Content-Type': contentTypes[extname(urlPath)] ?? 'application/octet-stream' };
  if (file instanceof Uint8Array) {
    res.writeHead(200, { ...headers, 'Content-Length': String(file.byteLength) }).end(file);
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(statSync(file.path).size) });
  createReadStream(file.path).pipe(res);
}

/** A file inside `folder` for the rest of a URL path, never outside it. */
function fileInFolder(folder: string, rest: string): string | null {
  const root = resolve(folder);
  const path = resolve(root, normalize(decodeURIComponent(rest)).replace(/^([/\\])+/, ''));
  if (path !== root && !path.startsWith(root + sep)) return null;
  if (!existsSync(path)) return null;
  const stat = statSync(path);
  if (stat.isDirectory()) return existsSync(join(path, 'index.html')) ? join(path, 'index.html') : null;
  return path;
}

export async function startStaticServer(mounts: FolderMount[], files = new Map<string, ServedFile>()): Promise<StaticServer> {
  // Longest prefix first, so `/ort/` wins over `/`.
  const ordered = [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  const server = createServer((req, res) => {
    const urlPath = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const served = files.get(urlPath);
    if (served) return send(res, urlPath, served);
    for (const mount of ordered) {
      if (!urlPath.startsWith(mount.prefix)) continue;
      const path = fileInFolder(mount.folder, urlPath.slice(mount.prefix.length));
      if (path) return send(res, path, { path });
    }
    res.writeHead(404, { ...isolationHeaders, 'Content-Type': 'text/plain' }).end(`not found: ${urlPath}`);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    files,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
