import { allocateBuffer, readBuffers } from './buffers.ts';
import { gpuStep, type GpuContext } from './context.ts';

/** A labelled group of work that records itself into a compute pass. */
export interface TimedPass {
  label: string;
  encode(pass: GPUComputePassEncoder): void;
}

/**
 * GPU time of each of a list of passes: with timestamp queries where the adapter has them (one compute pass each,
 * begin and end written by the GPU), otherwise by submitting each pass alone and waiting for it (wall time, which
 * includes submission overhead: the result says which it is).
 */
export async function timePasses(context: GpuContext, passes: TimedPass[]): Promise<{ method: 'timestamp-query' | 'submit-and-wait'; ms: number[]; labels: string[] }> {
  const { device } = context;
  if (!context.hasTimestampQuery) {
    const ms: number[] = [];
    for (const timed of passes) {
      const start = performance.now();
      await gpuStep(context, `timing ${timed.label}`, () => {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        timed.encode(pass);
        pass.end();
        device.queue.submit([encoder.finish()]);
      });
      await device.queue.onSubmittedWorkDone();
      ms.push(performance.now() - start);
    }
    return { method: 'submit-and-wait', ms, labels: passes.map((p) => p.label) };
  }
  const count = passes.length * 2;
  const querySet = device.createQuerySet({ type: 'timestamp', count });
  const resolved = allocateBuffer(context, { size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  try {
    await gpuStep(context, 'timing passes', () => {
      const encoder = device.createCommandEncoder();
      passes.forEach((timed, i) => {
        const pass = encoder.beginComputePass({ label: timed.label, timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        timed.encode(pass);
        pass.end();
      });
      encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
      device.queue.submit([encoder.finish()]);
    });
    const [data] = await readBuffers(context, 'reading timestamps', [{ buffer: resolved, size: count * 8 }]);
    const stamps = new BigUint64Array(data);
    return { method: 'timestamp-query', ms: passes.map((_, i) => Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6), labels: passes.map((p) => p.label) };
  } finally {
    resolved.destroy();
    querySet.destroy();
  }
}
