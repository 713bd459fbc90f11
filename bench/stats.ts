/** Timing statistics: every run kept, summarised by median, min and max (means hide the outliers noise makes). */
export interface Stats {
  /** Timed runs (warm-up excluded). */
  n: number;
  /** Warm-up runs done before them. */
  warmup: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  runsMs: number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(runsMs: readonly number[], warmup = 0): Stats {
  if (runsMs.length === 0) throw new Error('no timed runs to summarise');
  return {
    n: runsMs.length,
    warmup,
    medianMs: median(runsMs),
    minMs: Math.min(...runsMs),
    maxMs: Math.max(...runsMs),
    runsMs: [...runsMs],
  };
}

export interface RepeatOptions {
  warmup: number;
  runs: number;
  /** Called after each run (progress lines on long benchmarks). */
  onRun?: (index: number, ms: number, warm: boolean) => void;
}

/** Wall time of `warmup` untimed then `runs` timed calls of `work`, each awaited to completion. */
export async function timeRepeated(work: () => Promise<unknown>, options: RepeatOptions): Promise<Stats> {
  const runsMs: number[] = [];
  for (let i = 0; i < options.warmup + options.runs; i++) {
    const start = performance.now();
    await work();
    const ms = performance.now() - start;
    const warm = i < options.warmup;
    if (!warm) runsMs.push(ms);
    options.onRun?.(i, ms, warm);
  }
  return summarize(runsMs, options.warmup);
}

/** Wall time of one awaited call, with its result. */
export async function timeOnce<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}
