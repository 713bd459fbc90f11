/**
 * A local HTTP server on 127.0.0.1 (random port) that serves test checkpoints the way public hosts do, Range requests
 * included, and can misbehave on purpose: drop the connection mid-file, ignore Range, or answer with an error status.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  body: Uint8Array;
  /** The first `drops` responses (default 1) stop after this many bytes and cut the connection. */
  dropAfter?: number;
  drops?: number;
  /** Answer every request with the whole file and 200, as servers without Range support do. */
  ignoreRange?: boolean;
  /** Answer with this status and no file. */
  status?: number;
}

export interface FileServer {
  url(path: string): string;
  /** Every request in order: its path and Range header. */
  requests: { path: string; range: string | undefined }[];
  files: Map<string, ServedFile>;
  close(): Promise<void>;
}

export async function startFileServer(files: Map<string, ServedFile> = new Map()): Promise<FileServer> {
  const requests: FileServer['requests'] = [];
  const dropped = new Map<string, number>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const range = req.headers.range;
    requests.push({ path, range });
    const file = files.get(path);
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    if (file.status) {
      res.writeHead(file.status).end();
      return;
    }
    const length = file.body.byteLength;
    let start = 0;
    const match = /^bytes=(\d+)-$/.exec(range ?? '');
    if (match && !file.ignoreRange) {
      start = Number(match[1]);
      if (start >= length) {
        res.writeHead(416, { 'Content-Range': `bytes */${length}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': String(length - start), 'Content-Range': `bytes ${start}-${length - 1}/${length}`, 'Accept-Ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'Content-Length': String(length), 'Accept-Ranges': file.ignoreRange ? 'none' : 'bytes' });
    }
    const dropsSoFar = dropped.get(path) ?? 0;
    if (file.dropAfter !== undefined && dropsSoFar < (file.drops ?? 1) && start < file.dropAfter) {
      dropped.set(path, dropsSoFar + 1);
      // Send part of the body, let it reach the client, then cut the connection as a broken network would.
      res.write(file.body.subarray(start, file.dropAfter), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    res.end(file.body.subarray(start));
  };
  const server = createServer(handle);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    files,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on, for "connection refused". */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
