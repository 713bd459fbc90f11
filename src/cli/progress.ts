import cliProgress from 'cli-progress';

/** Progress on a terminal as a bar with rate and ETA; elsewhere one line per photo. */
export function progressReporter(total: number): { tick(file: string): void; stop(): void } {
  const started = performance.now();
  let count = 0;
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: ' {bar} {value}/{total} photos | {rate} photos/s | ETA {eta_formatted} | {file}', stream: process.stderr, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.00', file: '' });
    return {
      tick(file) {
        count++;
        bar.update(count, { rate: (count / ((performance.now() - started) / 1000)).toFixed(2), file });
      },
      stop: () => bar.stop(),
    };
  }
  return {
    tick(file) {
      count++;
      const elapsed = (performance.now() - started) / 1000;
      const eta = ((total - count) * elapsed) / count;
      console.error(`[${count}/${total}] ${file} (${(count / elapsed).toFixed(2)} photos/s, ETA ${eta.toFixed(0)} s)`);
    },
    stop() {},
  };
}
