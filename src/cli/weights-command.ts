/** `fixations weights get | convert | list`: the weights cache from the command line. */
import { Command, Option } from 'commander';
import { relative } from 'node:path';
import { safetensorsArchitectures } from '../loaders/safetensors-model.ts';
import { describePreprocess } from '../model/preprocess.ts';
import { cacheContents, readWeightsManifest, weightsCacheDir, type CacheDirReason, type CachedModelState } from '../weights/cache.ts';
import { getWeights } from '../weights/get.ts';
import { createProgressReporter, formatBytes } from '../weights/progress.ts';
import { convertModelFile, type WrittenModel } from '../weights/write-converted.ts';
import { preprocessFlags, preprocessFromFlags, type PreprocessFlagValues } from './preprocess-flags.ts';

interface CacheOptions {
  dir?: string;
  manifest?: string;
}

const reasons: Record<CacheDirReason, string> = {
  '--dir': 'from --dir',
  FIXATIONS_WEIGHTS_DIR: 'from $FIXATIONS_WEIGHTS_DIR',
  repository: "this repository's weights/ folder",
  'user cache': "the user's cache folder",
};

function cacheOptions(command: Command): Command {
  return command
    .option('--dir <folder>', 'cache folder (default: weights/ in this repository when run from it, else the user cache folder)')
    .option('--manifest <file>', 'weights manifest to read instead of weights/manifest.json (also $FIXATIONS_WEIGHTS_MANIFEST)');
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && rel.length < path.length ? rel : path;
}

function describeWritten(written: WrittenModel): string {
  const n = written.binFiles.length;
  return `${shortPath(written.manifestPath)} + ${n} binary file${n === 1 ? '' : 's'} (${formatBytes(written.bytes)})`;
}

async function getCommand(names: string[], options: CacheOptions & { convert: boolean }): Promise<void> {
  for (const name of names) {
    const result = await getWeights(name, {
      ...options,
      reporter: () => createProgressReporter(process.stderr),
      log: (line) => console.log(`  ${line}`),
      onStart: (entry, folder, reason) => {
        console.log(`${name}: ${entry.description}`);
        console.log(`  in ${folder} (${reasons[reason]})`);
      },
    });
    if (result.converted) console.log(`  converted: ${describeWritten(result.converted)}`);
    const defaultPlace = result.cacheReason === 'repository' || result.cacheReason === 'user cache' || result.cacheReason === 'FIXATIONS_WEIGHTS_DIR';
    const model = defaultPlace || !result.convertedPath ? name : shortPath(result.convertedPath);
    console.log(`  ready: npx fixations explain photo.jpg --model ${model}`);
  }
}

function describeState(state: CachedModelState): string {
  const aside = state.files.filter((f) => f.setAside).map((f) => `${f.name}.bad`);
  const note = aside.length > 0 ? `; ${aside.join(', ')} did not load and ${aside.length === 1 ? 'was' : 'were'} set aside (delete once the model works)` : '';
  return describeFiles(state) + note;
}

function describeFiles(state: CachedModelState): string {
  if (state.converted) return `converted, ${formatBytes(state.converted.bytes)}${state.entry ? '' : ' (not in the manifest)'}`;
  if (state.files.length > 0 && state.files.every((f) => f.state === 'complete')) return 'downloaded, not converted (weights get converts it)';
  const partial = state.files.filter((f) => f.state === 'partial');
  if (partial.length > 0) {
    return `interrupted: ${partial.map((f) => `${f.name} ${formatBytes(f.bytes)}${f.expectedSize ? ` of ${formatBytes(f.expectedSize)}` : ''}`).join(', ')} (weights get resumes)`;
  }
  if (state.files.some((f) => f.state === 'complete')) return 'partly downloaded (weights get fetches the rest)';
  return 'not downloaded';
}

async function listCommand(options: CacheOptions): Promise<void> {
  const manifest = await readWeightsManifest(options.manifest);
  const { dir, reason } = weightsCacheDir({ dir: options.dir });
  console.log(`weights cache: ${dir} (${reasons[reason]})`);
  const states = await cacheContents(dir, manifest);
  const width = Math.max(...states.map((s) => s.name.length));
  for (const state of states) {
    const description = state.entry ? `  ${state.entry.description}` : '';
    console.log(`  ${state.name.padEnd(width)}  ${describeState(state)}${description ? `\n  ${' '.repeat(width)}  ${description.trim()}` : ''}`);
  }
}

interface ConvertCommandOptions extends PreprocessFlagValues {
  arch?: string;
  weights?: string;
  labels?: string;
  classNames?: string;
  out?: string;
  name?: string;
}

async function convertCommand(file: string, options: ConvertCommandOptions): Promise<void> {
  const { model, written } = await convertModelFile(file, {
    arch: options.arch,
    weights: options.weights,
    labels: options.labels ?? options.classNames,
    out: options.out,
    name: options.name,
    preprocess: preprocessFromFlags(file, options),
  });
  console.log(
    `${model.name}: ${model.nodes.length} nodes, ${model.input.width}×${model.input.height}, ${model.labels.length} classes; preprocessing: ${describePreprocess(model.preprocess)}`,
  );
  console.log(`  wrote ${describeWritten(written)}`);
  console.log(`  use: npx fixations explain photo.jpg --model ${shortPath(written.manifestPath)}`);
}

/** Adds the `weights` command group to the program. */
export function addWeightsCommands(program: Command): void {
  const weights = program.command('weights').description('download, convert and list model weights');
  cacheOptions(weights.command('get').description('download a public checkpoint (vgg19, vgg16, vgg19-keras, vgg16-keras, tiny-darknet) and convert it'))
    .argument('<names...>', 'model names from the weights manifest')
    .option('--no-convert', 'only download; --model <name> then reads the checkpoint itself')
    .action((names: string[], options) => getCommand(names, options));
  preprocessFlags(
    weights
      .command('convert')
      .description('convert a checkpoint to the fast-loading format (a .fixations.json manifest + binary files of at most 64 MiB)')
      .argument('<file>', 'darknet .cfg, tfjs model.json, .onnx (with its preprocessing flags), VGG .safetensors or Keras .h5'),
  )
    .addOption(new Option('--arch <name>', 'the architecture of a safetensors checkpoint (recognised from its names when absent)').choices([...safetensorsArchitectures]))
    .option('--weights <file>', 'darknet .weights file (default: the one beside the cfg)')
    .option('--labels <file>', 'class names, one per line, in output order')
    .option('--class-names <file>', 'the same as --labels')
    .option('--out <folder>', "output folder (default: the checkpoint's folder)")
    .option('--name <name>', "model name and output file stem (default: the model's own name)")
    .action((file: string, options) => convertCommand(file, options));
  cacheOptions(weights.command('list').description('show what is in the weights cache')).action((options) => listCommand(options));
}
