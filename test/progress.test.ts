import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../src/weights/download.ts';
import { createProgressReporter, formatBytes, formatDuration, progressFigures } from '../src/weights/progress.ts';

function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY: boolean; text: () => string; columns: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  stream.text = () => chunks.join('');
  return stream;
}

const at = (received: number, total: number | null, resumedFrom = 0): DownloadProgress => ({ file: 'model.safetensors', received, total, resumedFrom, startedAt: 0 });

describe('download progress', () => {
  it('formats sizes, durations, rate and ETA (the rate counts only bytes of this run)', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(574_673_361)).toBe('575 MB');
    expect(formatBytes(5_100_000)).toBe('5.10 MB');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(112)).toBe('1m52s');
    expect(formatDuration(7300)).toBe('2h01m');
    expect(formatDuration(Infinity)).toBe('?');
    // 100 MB resumed, 50 MB more in 10 s: 5 MB/s, 50 MB left: 10 s.
    expect(progressFigures(at(150e6, 200e6, 100e6), 10_000)).toEqual({ done: '150 MB', size: '200 MB', percent: '75%', rate: '5.00 MB/s', eta: '10s' });
    expect(progressFigures(at(1000, null), 1000)).toMatchObject({ size: '?', percent: '?%', eta: '?' });
  });

  it('writes plain lines at intervals and a summary when stderr is not a terminal', () => {
    const stream = sink(false);
    let now = 0;
    const reporter = createProgressReporter(stream, { lineInterval: 5, now: () => now });
    for (now = 0; now <= 12_000; now += 1000) reporter.update(at(now * 1000, 12e6));
    reporter.finish(at(12e6, 12e6, 0), true);
    const lines = stream.text().trim().split('\n');
    expect(lines).toEqual([
      'model.safetensors: 0 B of 12.0 MB (0%), 0 B/s, ETA ?',
      'model.safetensors: 5.00 MB of 12.0 MB (41%), 1.00 MB/s, ETA 7s',
      'model.safetensors: 10.0 MB of 12.0 MB (83%), 1.00 MB/s, ETA 2s',
      'model.safetensors: 12.0 MB in 13s (923 kB/s)',
    ]);
  });

  it('draws a bar with bytes, rate and ETA when stderr is a terminal', () => {
    const stream = sink(true);
    const reporter = createProgressReporter(stream);
    reporter.update({ ...at(3e6, 12e6), startedAt: performance.now() - 1000 });
    reporter.finish(at(12e6, 12e6), true);
    const text = stream.text();
    expect(text).toMatch(/model\.safetensors \[[█░]+\] \d+% \| [\d.]+ MB \/ 12\.0 MB \| [\d.]+ [kM]B\/s \| ETA /);
  });
});
