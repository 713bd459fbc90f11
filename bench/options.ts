/** `npm run bench` options: parsed with commander, with defaults that give the issue's full benchmark. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { environmentNames, peerNames, type EnvironmentName, type PeerName } from './report-types.ts';
import { preprocessFlags, preprocessFromFlags } from '../src/cli/preprocess-flags.ts';
import type { PreprocessOptions } from '../src/model/preprocess-options.ts';
import { winogradTileChoices, type KernelChoices, type WinogradTile } from '../src/ops/common/kernel-choices.ts';

export const benchParts = ['vgg19', 'tiny-darknet', 'vgg-mini', 'resnet50', 'mobilenet_v2', 'model', 'peers', 'scaling'] as const;
export type BenchPart = (typeof benchParts)[number];

export interface BenchOptions {
  quick: boolean;
  /** What to measure: our kernels on each named model, the peers (on the VGG models), the scaling sweeps. */
  parts: BenchPart[];
  environments: EnvironmentName[];
  warmup: number;
  runs: number;
  peers: PeerName[];
  peerWarmup: number;
  peerRuns: number;
  /** Per peer job (load, warm-up and runs); past it the peer is reported as timed out. */
  peerTimeoutS: number;
  /** Per browser job of our kernels. */
  jobTimeoutS: number;
  /** Input side of VGG19 (224 for the targets; smaller for smoke runs). */
  vggInput: number;
  scalingSizes: number[];
  seed: number;
  /** wasm threads of the CPU peers. */
  threads: number;
  out: string;
  tinyDarknetDir: string;
  /** Photo for Tiny Darknet's and `--model`'s explain; default the dog in Tiny Darknet's folder, a synthetic one for `--model`. */
  photo: string | null;
  /** `--model net.onnx`: our kernels on that model too (part `model`), with its preprocessing and class names. */
  model: { path: string; preprocess: PreprocessOptions; classNames: string | null } | null;
  chromium: string;
  /** Kernel choices forced over the adapter's tuned or default ones (`--winograd-tile`). */
  kernels: Partial<KernelChoices>;
}

export const defaultParts: BenchPart[] = ['vgg19', 'tiny-darknet', 'resnet50', 'mobilenet_v2', 'peers', 'scaling'];

export function defaultBenchOptions(overrides: Partial<BenchOptions> = {}): BenchOptions {
  return {
    quick: false,
    parts: defaultParts,
    environments: ['browser', 'node'],
    warmup: 1,
    runs: 5,
    peers: [...peerNames],
    peerWarmup: 1,
    peerRuns: 2,
    peerTimeoutS: 1800,
    jobTimeoutS: 3600,
    vggInput: 224,
    scalingSizes: [112, 224, 448],
    seed: 1,
    threads: 2,
    out: 'bench/results',
    tinyDarknetDir: '../shared/data/tiny-darknet',
    photo: null,
    model: null,
    chromium: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    kernels: {},
    ...overrides,
  };
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
}

function listOf<T extends string>(choices: readonly T[]): (value: string) => T[] {
  return (value) => {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = items.filter((s) => !choices.includes(s as T));
    if (items.length === 0 || unknown.length > 0) {
      throw new InvalidArgumentError(`${unknown.length ? `unknown: ${unknown.join(', ')}; ` : ''}choose from ${choices.join(', ')}`);
    }
    return [...new Set(items)] as T[];
  };
}

function winogradTile(value: string): WinogradTile {
  const m = Number(value);
  if (!winogradTileChoices.includes(m as WinogradTile)) throw new InvalidArgumentError(`choose from ${winogradTileChoices.join(', ')}`);
  return m as WinogradTile;
}

function sizes(value: string): number[] {
  const list = value.split(',').map((s) => positiveInteger(s.trim()));
  // Five 2×2 max-pools: below 32 px nothing is left for fc6.
  if (list.some((s) => s < 32)) throw new InvalidArgumentError('VGG input sizes must be at least 32 px');
  return list;
}

export function benchCommand(): Command {
  const command = new Command('npm run bench --')
    .description('Benchmark our WebGPU kernels (forward, backtracking, explain) against TensorFlow.js and ONNX Runtime Web, in headless Chromium and in Node/Dawn.')
    .option('--quick', 'one timed run, no scaling, no peers (unless named in --only)', false)
    .option('--runs <n>', 'timed runs of our kernels after the warm-up', positiveInteger)
    .option('--warmup <n>', 'untimed warm-up runs', count)
    .addOption(new Option('--only <parts>', `comma list of: ${benchParts.join(', ')}`).argParser(listOf(benchParts)))
    .option('--browser', 'measure in headless Chromium', false)
    .option('--node', 'measure in Node/Dawn', false)
    .option('--out <dir>', 'where the JSON, the markdown and the generated .onnx files go', 'bench/results')
    .option('--vgg-input <px>', 'VGG19 input side (the targets are for 224; smaller for smoke runs)', (v) => sizes(v)[0], 224)
    .option('--scaling-sizes <list>', 'VGG19 input sides of the scaling sweep', sizes, [112, 224, 448])
    .addOption(new Option('--peers <list>', `comma list of: ${peerNames.join(', ')}`).argParser(listOf(peerNames)))
    .option('--peer-runs <n>', 'timed runs of each peer (default 2; 1 with --quick)', positiveInteger)
    .option('--peer-warmup <n>', 'warm-up runs of each peer', count, 1)
    .option('--peer-timeout <s>', 'seconds one peer may take in all before it is reported as timed out', positiveInteger, 1800)
    .option('--job-timeout <s>', 'seconds one browser job of our kernels may take', positiveInteger, 3600)
    .option('--threads <n>', 'wasm threads of the CPU peers', positiveInteger, 2)
    .option('--seed <n>', 'seed of the random VGG weights', count, 1)
    .option('--tiny-darknet <dir>', 'folder with tiny.cfg, tiny.weights, names.txt', '../shared/data/tiny-darknet')
    .option('--photo <file>', 'photo for Tiny Darknet\'s and --model\'s explain (default: images/dog.jpg in its folder; synthetic for --model)')
    .option('--model <file.onnx>', 'also measure our kernels on this ONNX model (with its preprocessing flags)')
    .option('--class-names <file>', '--model\'s class names, one per line')
    .option('--chromium <path>', 'Chromium executable', process.env.CHROME_PATH ?? '/usr/bin/chromium')
    .option('--winograd-tile <m>', `Winograd F(m×m, 3×3) for our kernels instead of the adapter's choice: ${winogradTileChoices.join(' or ')}`, winogradTile);
  return preprocessFlags(command);
}

function onnxPath(path: string): string {
  if (!path.toLowerCase().endsWith('.onnx')) throw new InvalidArgumentError(`--model takes an ONNX model (${path} is not .onnx); Tiny Darknet is --tiny-darknet`);
  return path;
}

/** Options from the script's own arguments (`process.argv.slice(3)` under bin/run-ts.js). */
export function parseBenchOptions(args: string[]): BenchOptions {
  const command = benchCommand();
  command.parse(args, { from: 'user' });
  const o = command.opts();
  const quick = Boolean(o.quick);
  const environments: EnvironmentName[] = environmentNames.filter((e) => o[e]);
  return defaultBenchOptions({
    quick,
    parts: [...(o.only ?? (quick ? ['vgg19', 'tiny-darknet'] : defaultParts)), ...(o.model && !o.only ? ['model' as const] : [])],
    environments: environments.length > 0 ? environments : [...environmentNames],
    runs: o.runs ?? (quick ? 1 : 5),
    warmup: o.warmup ?? 1,
    peers: o.peers ?? [...peerNames],
    peerRuns: o.peerRuns ?? (quick ? 1 : 2),
    peerWarmup: o.peerWarmup,
    peerTimeoutS: o.peerTimeout,
    jobTimeoutS: o.jobTimeout,
    vggInput: o.vggInput,
    scalingSizes: o.scalingSizes,
    seed: o.seed,
    threads: o.threads,
    out: o.out,
    tinyDarknetDir: o.tinyDarknet,
    photo: o.photo ?? null,
    model: o.model ? { path: onnxPath(o.model), preprocess: preprocessFromFlags(o.model, o) ?? {}, classNames: o.classNames ?? null } : null,
    chromium: o.chromium,
    kernels: o.winogradTile ? { winogradTile: o.winogradTile } : {},
  });
}
