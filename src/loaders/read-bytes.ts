/** Bytes of a download or a dropped file, with progress as they arrive (model weights run to hundreds of MB). */

/** Bytes so far, and in all when known. */
export type ByteProgress = (loaded: number, total: number | null) => void;

export class TransferError extends Error {
  override name = 'TransferError';
}

export interface FetchLimits {
  /** Refuse a response longer than this (announced or as it arrives): a manifest says how big its files are. */
  maxBytes?: number;
}

export async function fetchBytes(url: string, onProgress?: ByteProgress, limits: FetchLimits = {}): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new TransferError(`could not download ${url} (${(error as Error).message}): check the address and that the server is running`);
  }
  if (!response.ok) {
    throw new TransferError(`could not download ${url}: the server answered ${response.status} ${response.statusText}`.trim());
  }
  const length = Number(response.headers.get('content-length'));
  // Content-Length counts encoded bytes; with compression the body may be longer, so only trust it without.
  const total = Number.isFinite(length) && length > 0 && !response.headers.get('content-encoding') ? length : null;
  const { maxBytes } = limits;
  if (maxBytes !== undefined && total !== null && total > maxBytes) {
    await response.body?.cancel();
    throw new TransferError(`${url} is ${total} bytes, more than the ${maxBytes} expected: not the right file`);
  }
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (maxBytes !== undefined && bytes.byteLength > maxBytes) throw new TransferError(`${url} is ${bytes.byteLength} bytes, more than the ${maxBytes} expected: not the right file`);
    onProgress?.(bytes.byteLength, bytes.byteLength);
    return bytes;
  }
  return readStream(response.body, total, onProgress, url, maxBytes);
}

export function readFileBytes(file: File, onProgress?: ByteProgress): Promise<Uint8Array> {
  return readStream(file.stream(), file.size, onProgress, file.name);
}

/** Reads a stream into one buffer; allocated once up front when the size is known, so big files are not held twice. */
async function readStream(
  stream: ReadableStream<Uint8Array>,
  total: number | null,
  onProgress: ByteProgress | undefined,
  what: string,
  maxBytes = Infinity,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  let buffer = new Uint8Array(total ?? 1 << 20);
  let loaded = 0;
  onProgress?.(0, total);
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new TransferError(`reading ${what} stopped after ${loaded} bytes (${(error as Error).message})`);
    }
    if (chunk.done) break;
    if (loaded + chunk.value.byteLength > maxBytes) {
      await reader.cancel();
      throw new TransferError(`${what} is longer than the ${maxBytes} bytes expected: not the right file`);
    }
    if (loaded + chunk.value.byteLength > buffer.byteLength) {
      const grown = new Uint8Array(Math.max(buffer.byteLength * 2, loaded + chunk.value.byteLength));
      grown.set(buffer.subarray(0, loaded));
      buffer = grown;
    }
    buffer.set(chunk.value, loaded);
    loaded += chunk.value.byteLength;
    onProgress?.(loaded, total);
  }
  if (total !== null && loaded !== total) throw new TransferError(`${what} ended after ${loaded} of its ${total} bytes: the transfer was cut short`);
  return loaded === buffer.byteLength ? buffer : buffer.subarray(0, loaded);
}
