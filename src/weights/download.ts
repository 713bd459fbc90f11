/**
 * Downloads one file with resume: bytes stream into `<file>.part`; a later try asks for the rest with
 * `Range: bytes=N-` (and starts over if the server answers 200 instead of 206); once complete, the size and hashes the
 * manifest knows are checked and the file is renamed into place, so `<file>` is only ever whole and verified. A bad
 * hash deletes the download. A connection that breaks mid-file is resumed on the spot a few times before giving up,
 * and what arrived is kept for the next run. Every failure says which URL failed and where to put the file by hand.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface DownloadProgress {
  file: string;
  /** Bytes of the file on disk so far, including what earlier runs left. */
  received: number;
  /** The whole file's size, when the server or the manifest says. */
  total: number | null;
  /** Bytes that were already there when this run started (not counted in the rate). */
  resumedFrom: number;
  /** performance.now() when this run's transfer started. */
  startedAt: number;
}

export interface DownloadRequest {
  urls: string[];
  /** Final path; `<destination>.part` while downloading. */
  destination: string;
  size?: number | null;
  sha256?: string | null;
  md5?: string | null;
  onProgress?: (progress: DownloadProgress) => void;
  /** Resumptions after a broken connection within this run (default 3). */
  retries?: number;
  /** A connection that delivers nothing for this long counts as broken (default 60 s). */
  idleTimeoutMs?: number;
  /** Words for "run this again" in messages, e.g. `npx fixations weights get vgg19`. */
  rerun?: string;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  url: string;
  /** Bytes that were already on disk from an earlier, interrupted run. */
  resumedFrom: number;
}

/** A download that could not be made (offline, refused, HTTP error, broken connection); says how to place the file by hand. */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    /** What failed, in a few words, for a message that lists several files: `tiny.cfg: <url> answered 404`. */
    readonly reason = message,
    /** Where the file belongs, for placing it by hand. */
    readonly destination = '',
    /** Every URL failed as an offline machine's would (refused, no such host). */
    readonly offline = false,
  ) {
    super(message);
  }
}

/** The file arrived but is not the one the manifest describes. */
export class ChecksumError extends Error {
  override name = 'ChecksumError';
}

const networkCodes: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name lookup failed',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
};

/** The innermost cause's words: fetch wraps socket errors as `TypeError: fetch failed`. */
function describeNetworkError(error: unknown): string {
  let e = error as { cause?: unknown; code?: string; message?: string; name?: string } | undefined;
  while (e?.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return 'no data for too long';
  const code = e?.code;
  if (code && networkCodes[code]) return `${networkCodes[code]}, ${code}`;
  return code ? `${e?.message ?? 'error'}, ${code}` : (e?.message ?? String(error));
}

function isOfflineLike(error: unknown): boolean {
  let e = error as { cause?: unknown; code?: string } | undefined;
  while (e?.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'].includes(e?.code ?? '');
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string): Promise<{ sha256: string; md5: string }> {
  const hashes: Hash[] = [createHash('sha256'), createHash('md5')];
  for await (const chunk of createReadStream(path)) for (const h of hashes) h.update(chunk as Buffer);
  return { sha256: hashes[0].digest('hex'), md5: hashes[1].digest('hex') };
}

/** A Content-Length that counts the file's own bytes: a number, and no Content-Encoding (which counts encoded bytes). */
function fileLength(response: Response): number | null {
  const header = response.headers.get('content-length');
  if (header === null || !/^\d+$/.test(header.trim()) || response.headers.get('content-encoding')) return null;
  return Number(header);
}

/** `bytes N-M/T` → N and T (T null for `*`). */
function parseContentRange(header: string | null): { start: number; total: number | null } | null {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header ?? '');
  return match ? { start: Number(match[1]), total: match[2] === '*' ? null : Number(match[2]) } : null;
}

/** Why one URL failed, and whether the bytes that did arrive are worth resuming from. */
class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly progressed: boolean,
    readonly offline = false,
  ) {
    super(message);
  }
}

interface AttemptState {
  part: string;
  request: DownloadRequest;
  startedAt: number;
  resumedFrom: number;
  /** The whole size once known. */
  total: number | null;
}

/** One request to one URL, appending to the .part file; resolves once the body has ended. */
async function attempt(url: string, state: AttemptState): Promise<void> {
  const { part, request } = state;
  let offset = await sizeOf(part);
  if (request.size != null && offset > request.size) {
    await unlink(part);
    offset = 0;
  }
  const controller = new AbortController();
  const idleMs = request.idleTimeoutMs ?? 60_000;
  let idle = setTimeout(() => controller.abort(), idleMs);
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(), idleMs);
  };
  let received = 0;
  try {
    let response: Response;
    try {
      response = await fetch(url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, redirect: 'follow', signal: controller.signal });
    } catch (error) {
      throw new AttemptFailure(`${url}: ${describeNetworkError(error)}`, false, isOfflineLike(error));
    }
    if (response.status === 416 && offset > 0) {
      // Asked for bytes past the end: the .part may already be whole (a run that died before renaming).
      await response.body?.cancel();
      const range = parseContentRange(response.headers.get('content-range')?.replace(/^bytes \*/, 'bytes 0-0') ?? null);
      if (range?.total === offset || request.size === offset) {
        state.total = offset;
        return;
      }
      await unlink(part);
      throw new AttemptFailure(`${url}: refused to resume at byte ${offset}; starting over`, true);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new AttemptFailure(`${url} answered ${response.status} ${response.statusText}`.trim(), false);
    }
    let append = false;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      append = range?.start === offset;
      if (!append) {
        await response.body?.cancel();
        await unlink(part);
        throw new AttemptFailure(`${url}: resumed at the wrong byte (${response.headers.get('content-range')}); starting over`, true);
      }
      state.total = range?.total ?? state.total;
    } else {
      // 200 to a Range request: this server does not resume, so the whole file comes again.
      offset = 0;
      state.total = fileLength(response) ?? state.total;
    }
    state.resumedFrom = Math.min(state.resumedFrom, offset);
    if (request.size != null && state.total !== null && state.total !== request.size) {
      await response.body?.cancel();
      throw new AttemptFailure(`${url} offers ${state.total} bytes but the manifest expects ${request.size}: a different file`, false);
    }
    if (!response.body) throw new AttemptFailure(`${url} sent no body`, false);
    const handle = await open(part, append ? 'a' : 'w');
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        await handle.write(chunk);
        received += chunk.byteLength;
        request.onProgress?.({ file: basename(request.destination), received: offset + received, total: state.total ?? request.size ?? null, resumedFrom: state.resumedFrom, startedAt: state.startedAt });
      }
    } catch (error) {
      throw new AttemptFailure(`${url}: ${describeNetworkError(error)} after ${offset + received} bytes`, received > 0);
    } finally {
      await handle.close();
    }
    const onDisk = offset + received;
    if (state.total !== null && onDisk < state.total) {
      throw new AttemptFailure(`${url}: the connection ended after ${onDisk} of ${state.total} bytes`, received > 0);
    }
    if (state.total === null && request.size == null) await confirmEnd(url, onDisk, controller.signal);
    state.total = onDisk;
  } finally {
    clearTimeout(idle);
  }
}

/**
 * A body that ended without any length to compare against (no Content-Length, no Content-Range total, no size in the
 * manifest) may be cut short: a connection that closes early looks like the end. Asks the server for the bytes after
 * it: 416 means there are none, 206 that the file goes on (the caller resumes), a 200 with a Content-Length says the
 * file's size. A server that says nothing useful leaves it as it is.
 */
async function confirmEnd(url: string, onDisk: number, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { Range: `bytes=${onDisk}-` }, redirect: 'follow', signal });
  } catch {
    return;
  }
  await response.body?.cancel();
  const range = parseContentRange(response.headers.get('content-range')?.replace(/^bytes \*/, 'bytes 0-0') ?? null);
  const more =
    response.status === 206 ? (range?.total ?? onDisk + 1) : response.status === 416 ? (range?.total ?? onDisk) : response.ok ? (fileLength(response) ?? onDisk) : onDisk;
  if (more > onDisk) {
    const size = response.status === 206 && range?.total == null ? 'more' : String(more);
    throw new AttemptFailure(`${url}: the connection ended after ${onDisk} bytes but the server has ${size} bytes`, true);
  }
}

/** Downloads, verifies and renames into place; see the module comment. */
export async function downloadFile(request: DownloadRequest): Promise<DownloadResult> {
  const { destination } = request;
  const part = `${destination}.part`;
  const rerun = request.rerun ?? 'the same command';
  const byHand = `To place it by hand, download it with a browser or another machine and save it as ${destination}, then run ${rerun} again.`;
  await mkdir(dirname(destination), { recursive: true });
  const resumedFrom = await sizeOf(part);
  const state: AttemptState = { part, request, startedAt: performance.now(), resumedFrom, total: null };
  const failures: string[] = [];
  let done: string | null = null;
  let offline = true;
  for (const url of request.urls) {
    let retriesLeft = request.retries ?? 3;
    for (;;) {
      try {
        await attempt(url, state);
        done = url;
        break;
      } catch (error) {
        if (!(error instanceof AttemptFailure)) throw error;
        if (error.progressed && retriesLeft-- > 0) continue; // resume from what is on disk
        failures.push(error.message);
        offline &&= error.offline;
        if (error.progressed) {
          const kept = await sizeOf(part);
          throw new DownloadError(
            `download of ${basename(destination)} broke off: ${error.message}. ${kept > 0 ? `The ${kept} bytes received are kept in ${part}; run ${rerun} again to resume.` : `Run ${rerun} again.`} ${byHand}`,
            `${basename(destination)}: broke off (${error.message})${kept > 0 ? `, ${kept} bytes kept to resume from` : ''}`,
            destination,
          );
        }
        break;
      }
    }
    if (done) break;
  }
  if (!done) {
    const why = offline ? 'Are you offline? ' : '';
    throw new DownloadError(
      `could not download ${basename(destination)}: ${failures.join('; ')}. ${why}${byHand}`,
      `${basename(destination)}: ${failures.join('; ')}`,
      destination,
      offline,
    );
  }

  const bytes = await sizeOf(part);
  const failChecksum = async (problem: string): Promise<never> => {
    await unlink(part);
    throw new ChecksumError(`${basename(destination)} from ${done}: ${problem}. The download was deleted; run ${rerun} again to retry, or ${byHand.charAt(0).toLowerCase()}${byHand.slice(1)}`);
  };
  if (request.size != null && bytes !== request.size) await failChecksum(`is ${bytes} bytes, the manifest expects ${request.size}`);
  const hashes = await hashFile(part);
  if (request.sha256 && hashes.sha256 !== request.sha256) await failChecksum(`has SHA-256 ${hashes.sha256}, the manifest expects ${request.sha256}`);
  if (request.md5 && hashes.md5 !== request.md5) await failChecksum(`has MD5 ${hashes.md5}, the manifest expects ${request.md5}`);
  await rename(part, destination);
  return { path: destination, bytes, sha256: hashes.sha256, url: done, resumedFrom };
}

/**
 * Checks a file already in place (a finished download, or one placed by hand) against what the manifest knows. It is
 * never deleted here: it may be the user's own copy.
 */
export async function verifyFile(path: string, expected: { size?: number | null; sha256?: string | null; md5?: string | null }): Promise<void> {
  const bytes = await sizeOf(path);
  const problem = (what: string) => new ChecksumError(`${path} ${what}; replace it with the right file or delete it and download again`);
  if (expected.size != null && bytes !== expected.size) throw problem(`is ${bytes} bytes, the manifest expects ${expected.size}`);
  if (!expected.sha256 && !expected.md5) return;
  const hashes = await hashFile(path);
  if (expected.sha256 && hashes.sha256 !== expected.sha256) throw problem(`has SHA-256 ${hashes.sha256}, the manifest expects ${expected.sha256}`);
  if (expected.md5 && hashes.md5 !== expected.md5) throw problem(`has MD5 ${hashes.md5}, the manifest expects ${expected.md5}`);
}
