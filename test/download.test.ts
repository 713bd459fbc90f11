import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../src/graph/random-model.ts';
import { ChecksumError, DownloadError, downloadFile, verifyFile, type DownloadProgress } from '../src/weights/download.ts';
import { closedPort, startFileServer, type FileServer } from './helpers/file-server.ts';

function randomBytes(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

describe('downloadFile', () => {
  const body = randomBytes(300_000, 1);
  let server: FileServer;
  const scratch = mkdtempSync(join(tmpdir(), 'fixations-download-'));
  let n = 0;
  const destination = () => join(scratch, `case${++n}`, 'model.safetensors');

  beforeAll(async () => {
    server = await startFileServer();
  });
  afterAll(() => server.close());

  it('downloads, reports progress, checks size and hashes, and renames into place', async () => {
    server.files.set('/ok.bin', { body });
    const progress: DownloadProgress[] = [];
    const path = destination();
    const result = await downloadFile({ urls: [server.url('/ok.bin')], destination: path, size: body.byteLength, sha256: sha256(body), md5: md5(body), onProgress: (p) => progress.push({ ...p }) });
    expect(readFileSync(path).equals(Buffer.from(body))).toBe(true);
    expect(existsSync(`${path}.part`)).toBe(false);
    expect(result).toMatchObject({ bytes: body.byteLength, sha256: sha256(body), resumedFrom: 0 });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ file: 'model.safetensors', received: body.byteLength, total: body.byteLength });
    expect(progress.every((p, i) => i === 0 || p.received >= progress[i - 1].received)).toBe(true);
  });

  it('resumes a connection dropped mid-file with a Range request and gets the exact file', async () => {
    server.files.set('/drop.bin', { body, dropAfter: 120_000 });
    const path = destination();
    const before = server.requests.length;
    const result = await downloadFile({ urls: [server.url('/drop.bin')], destination: path, sha256: sha256(body) });
    const requests = server.requests.slice(before);
    expect(requests).toHaveLength(2);
    expect(requests[0].range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(120_000);
    expect(readFileSync(path).equals(Buffer.from(body))).toBe(true);
    expect(result.sha256).toBe(sha256(body));
  });

  it('keeps what arrived when the connection keeps breaking, says so, and the next run resumes from it', async () => {
    server.files.set('/flaky.bin', { body, dropAfter: 100_000, drops: 1 });
    const path = destination();
    const failed = downloadFile({ urls: [server.url('/flaky.bin')], destination: path, retries: 0, rerun: '"npx fixations weights get flaky"' });
    await expect(failed).rejects.toThrow(DownloadError);
    await expect(failed).rejects.toThrow(/broke off: .*flaky\.bin.*kept in .*model\.safetensors\.part; run "npx fixations weights get flaky" again to resume/);
    const kept = statSync(`${path}.part`).size;
    expect(kept).toBeGreaterThan(0);
    expect(existsSync(path)).toBe(false);

    const before = server.requests.length;
    const progress: DownloadProgress[] = [];
    const result = await downloadFile({ urls: [server.url('/flaky.bin')], destination: path, onProgress: (p) => progress.push(p) });
    expect(server.requests[before].range).toBe(`bytes=${kept}-`);
    expect(result.resumedFrom).toBe(kept);
    expect(progress[0].resumedFrom).toBe(kept);
    expect(readFileSync(path).equals(Buffer.from(body))).toBe(true);
  });

  it('starts over when the server ignores Range and answers 200', async () => {
    server.files.set('/norange.bin', { body, ignoreRange: true });
    const path = destination();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.part`, body.subarray(0, 5000));
    const before = server.requests.length;
    await downloadFile({ urls: [server.url('/norange.bin')], destination: path, size: body.byteLength, sha256: sha256(body) });
    expect(server.requests[before].range).toBe('bytes=5000-');
    expect(readFileSync(path).equals(Buffer.from(body))).toBe(true);
  });

  it('finishes a .part that is already whole (416 to the Range request)', async () => {
    server.files.set('/whole.bin', { body });
    const path = destination();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.part`, body);
    await downloadFile({ urls: [server.url('/whole.bin')], destination: path, sha256: sha256(body) });
    expect(readFileSync(path).equals(Buffer.from(body))).toBe(true);
  });

  it('rejects a wrong SHA-256 or MD5 and deletes the download', async () => {
    server.files.set('/corrupt.bin', { body });
    const path = destination();
    const wrong = sha256(new Uint8Array([1, 2, 3]));
    const failed = downloadFile({ urls: [server.url('/corrupt.bin')], destination: path, sha256: wrong });
    await expect(failed).rejects.toThrow(ChecksumError);
    await expect(failed).rejects.toThrow(new RegExp(`has SHA-256 ${sha256(body)}, the manifest expects ${wrong}\\. The download was deleted`));
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.part`)).toBe(false);

    await expect(downloadFile({ urls: [server.url('/corrupt.bin')], destination: path, md5: '0'.repeat(32) })).rejects.toThrow(/has MD5 [0-9a-f]{32}, the manifest expects 0{32}/);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it('rejects a file of another size before writing it', async () => {
    server.files.set('/size.bin', { body });
    const path = destination();
    await expect(downloadFile({ urls: [server.url('/size.bin')], destination: path, size: 1234 })).rejects.toThrow(/offers 300000 bytes but the manifest expects 1234/);
    expect(existsSync(path)).toBe(false);
  });

  it('says which URL answered 404 and where to put the file by hand', async () => {
    const path = destination();
    const failed = downloadFile({ urls: [server.url('/missing.bin')], destination: path, rerun: '"npx fixations weights get vgg19"' });
    await expect(failed).rejects.toThrow(DownloadError);
    await expect(failed).rejects.toThrow(
      `could not download model.safetensors: ${server.url('/missing.bin')} answered 404 Not Found. To place it by hand, download it with a browser or another machine and save it as ${path}, then run "npx fixations weights get vgg19" again.`,
    );
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it('says the machine looks offline when the connection is refused, with the manual placement', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/vgg19.safetensors`;
    const path = destination();
    await expect(downloadFile({ urls: [url], destination: path })).rejects.toThrow(
      new RegExp(`could not download model\\.safetensors: ${url.replace(/[.]/g, '\\.')}: connection refused, ECONNREFUSED\\. Are you offline\\? To place it by hand, .* save it as ${path.replace(/[.]/g, '\\.')}`),
    );
  });

  it('falls back to the next URL (a mirror) when the first fails', async () => {
    server.files.set('/mirror.bin', { body });
    const path = destination();
    const result = await downloadFile({ urls: [server.url('/gone.bin'), server.url('/mirror.bin')], destination: path });
    expect(result.url).toBe(server.url('/mirror.bin'));
    expect(readFileSync(path).equals(Buffer.from(body))).toBe(true);
  });

  it('verifyFile checks a file placed by hand and never deletes it', async () => {
    const path = join(scratch, 'by-hand.h5');
    writeFileSync(path, body);
    await verifyFile(path, { size: body.byteLength, md5: md5(body), sha256: null });
    await expect(verifyFile(path, { md5: 'f'.repeat(32) })).rejects.toThrow(/by-hand\.h5 has MD5 .* replace it with the right file or delete it/);
    await expect(verifyFile(path, { size: 10 })).rejects.toThrow(/is 300000 bytes, the manifest expects 10/);
    expect(existsSync(path)).toBe(true);
  });
});
