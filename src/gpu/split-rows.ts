import { requireLimit, type GpuContext } from './context.ts';

export interface RowChunk {
  first: number;
  count: number;
}

/**
 * Splits `rows` rows of `rowBytes` each into chunks that fit one binding and one buffer, every chunk but the last a
 * multiple of `granularity` rows. Tensors under the limits come back as a single chunk.
 */
export function splitRows(context: GpuContext, what: string, rows: number, rowBytes: number, granularity = 1): RowChunk[] {
  const limit = Math.min(context.budget.maxStorageBufferBindingSize, context.budget.maxBufferSize);
  requireLimit(context, 'maxStorageBufferBindingSize', rowBytes * granularity, `${what} (one chunk of ${granularity} rows)`);
  const perChunk = Math.max(granularity, Math.floor(limit / rowBytes / granularity) * granularity);
  const chunks: RowChunk[] = [];
  for (let first = 0; first < rows; first += perChunk) chunks.push({ first, count: Math.min(perChunk, rows - first) });
  return chunks;
}
