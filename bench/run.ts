/**
 * `npm run bench [-- options]`: the benchmark of issue 7. Prints the markdown tables and the ratios ours/peer, and
 * writes JSON and markdown to the out folder (bench/results/ by default). `--help` lists the options.
 */
import { runBenchmark } from './benchmark.ts';
import { bundleInfo } from './bundle-info.ts';
import { ratioLines } from './markdown.ts';
import { parseBenchOptions } from './options.ts';

// bin/run-ts.js passes [node, run-ts.js, bench/run.ts, ...our arguments]; the device bundle [node, bench.mjs, ...].
const args = process.argv.slice(bundleInfo() ? 2 : 3);
const options = parseBenchOptions(args);
const start = performance.now();
const log = (line: string) => console.log(`${((performance.now() - start) / 1000).toFixed(0).padStart(5)} s  ${line}`);
try {
  const { markdown, report, files } = await runBenchmark(options, log, args);
  console.log(`\n${markdown}`);
  for (const line of ratioLines(report)) console.log(line);
  console.log(`\nwrote ${files.json}\n      ${files.markdown}`);
  process.exit(0);
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exit(1);
}
