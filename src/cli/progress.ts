import cliProgress from 'cli-progress';

/**
 * Progress on a terminal as a bar with rate and ETA, each photo's result printed above it; elsewhere one line per
 * photo. `result` (the top class and fixation count, say) goes on the photo's line. Rates count from `started`.
 */
export function progressReporter(total: number, started = performance.now()): { tick(file: string, result?: string): void; stop(): void } {
  let count = 0;
  const rate = () => (count / ((performance.now() - started) / 1000)).toFixed(2);
  if (process.stderr.isTTY) {
    const bars = new cliProgress.MultiBar(
      { format: ' {bar} {value}/{total} photos | {rate} photos/s | ETA {eta_formatted} | {file}', stream: process.stderr, etaBuffer: 20, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const bar = bars.create(total, 0, { rate: '0.00', file: '' });
    return {
      tick(file, result) {
        count++;
        if (result) bars.log(`[${count}/${total}] ${file}: ${result}\n`);
        bar.update(count, { rate: rate(), file });
      },
      stop() {
        bars.update(); // prints what log() still holds
        bars.stop();
      },
    };
  }
  return {
    tick(file, result) {
      count++;
      const elapsed = (performance.now() - started) / 1000;
      const eta = ((total - count) * elapsed) / count;
      console.error(`[${count}/${total}] ${file}${result ? `: ${result}` : ''} (${rate()} photos/s, ETA ${eta.toFixed(0)} s)`);
    },
    stop() {},
  };
}
