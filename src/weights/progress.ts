/**
 * Download progress for people, on stderr so stdout stays clean: a cli-progress bar (bytes, rate, ETA) when stderr is
 * a terminal, else a plain line every few seconds and one when the file is done, which reads well in CI logs.
 */
import cliProgress from 'cli-progress';
import type { DownloadProgress } from './download.ts';

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressFigures {
  done: string;
  size: string;
  percent: string;
  rate: string;
  eta: string;
}

/** Rate over this run's bytes only: resumed bytes arrived in an earlier run. */
export function progressFigures(p: DownloadProgress, now = performance.now()): ProgressFigures {
  const seconds = Math.max((now - p.startedAt) / 1000, 1e-3);
  const rate = (p.received - p.resumedFrom) / seconds;
  const eta = p.total === null || rate <= 0 ? Infinity : (p.total - p.received) / rate;
  return {
    done: formatBytes(p.received),
    size: p.total === null ? '?' : formatBytes(p.total),
    percent: p.total ? `${Math.floor((100 * p.received) / p.total)}%` : '?%',
    rate: `${formatBytes(Math.round(rate))}/s`,
    eta: formatDuration(eta),
  };
}

export interface ProgressReporter {
  update(progress: DownloadProgress): void;
  /** The file is complete (or abandoned: `ok` false). */
  finish(progress: DownloadProgress | null, ok: boolean): void;
}

export interface ReporterOptions {
  /** Seconds between plain lines (default 5). */
  lineInterval?: number;
  now?: () => number;
}

/** A bar when `stream` is a terminal, plain lines otherwise. */
export function createProgressReporter(stream: NodeJS.WritableStream & { isTTY?: boolean }, options: ReporterOptions = {}): ProgressReporter {
  return stream.isTTY ? barReporter(stream) : lineReporter(stream, options);
}

function lineReporter(stream: NodeJS.WritableStream, options: ReporterOptions): ProgressReporter {
  const now = options.now ?? (() => performance.now());
  const interval = (options.lineInterval ?? 5) * 1000;
  let last = -Infinity;
  return {
    update(p) {
      if (now() - last < interval || p.received === p.total) return; // a finished file gets its summary line instead
      last = now();
      const f = progressFigures(p, now());
      stream.write(`${p.file}: ${f.done} of ${f.size} (${f.percent}), ${f.rate}, ETA ${f.eta}\n`);
    },
    finish(p, ok) {
      if (!p || !ok) return;
      const f = progressFigures(p, now());
      const resumed = p.resumedFrom > 0 ? `, resumed from ${formatBytes(p.resumedFrom)}` : '';
      stream.write(`${p.file}: ${f.done} in ${formatDuration((now() - p.startedAt) / 1000)} (${f.rate}${resumed})\n`);
    },
  };
}

function barReporter(stream: NodeJS.WritableStream): ProgressReporter {
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(p) {
      const f = progressFigures(p);
      const payload = { file: p.file, done: f.done, size: f.size, rate: f.rate, etaText: f.eta };
      const total = p.total ?? Math.max(p.received, 1);
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: '{file} [{bar}] {percentage}% | {done} / {size} | {rate} | ETA {etaText}',
            stream: stream as NodeJS.WriteStream,
            hideCursor: true,
            barsize: 30,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, p.received, payload);
      }
      bar.setTotal(total);
      bar.update(p.received, payload);
    },
    finish(p, ok) {
      if (bar && p && ok) bar.update(p.total ?? p.received, { etaText: '0s' });
      bar?.stop();
      bar = null;
    },
  };
}
