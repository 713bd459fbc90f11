import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { safetensorsArchitectures } from '../loaders/safetensors-model.ts';
import { resizeFilters } from '../model/preprocess.ts';
import { classifyCommand } from './classify-command.ts';
import { explainCommand } from './explain-command.ts';
import { rules, type Rule } from '../ops/common/rules.ts';
import { methodKinds, type MethodKind } from '../explain/methods.ts';
import { defaultMapSettings, type MapSettings } from '../postprocess/settings.ts';
import { colormaps } from '../render/colormap.ts';
import { explainBatch } from './explain-batch.ts';
import { tuneCommand } from './tune-command.ts';
import { evalFaithfulnessCommand, evalLocalizationCommand, evalSaliencyCommand } from './eval-command.ts';
import { parseShard } from './inputs.ts';
import { preprocessFlags } from './preprocess-flags.ts';
import { reportError } from './report-error.ts';
import { addWeightsCommands } from './weights-command.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number (0, 1, …)');
  return n;
}

function classIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a class index (0, 1, …)');
  return n;
}

function modelOptions(command: Command): Command {
  return preprocessFlags(
    command
      .requiredOption('-m, --model <file>', 'darknet .cfg, tfjs model.json, .onnx, VGG .safetensors or .h5, *.fixations.json, or a downloaded model name (vgg19)')
      .addOption(new Option('--arch <name>', 'architecture of a safetensors checkpoint').choices([...safetensorsArchitectures]))
      .option('--weights <file>', 'darknet .weights file (default: the one beside the cfg)')
      .option('--class-names <file>', 'class names, one per line, in output order')
      .addOption(
        new Option('--gap-head <form>', 'Tiny Darknet-style heads: "dense" rewrites the linear 1×1 conv → global average pool as the equal global average pool → dense (same scores); "conv" keeps it (default: as loaded)').choices(['dense', 'conv']),
      )
      .addOption(
        new Option('--resize-filter <filter>', 'how photos are resampled (default: what the model\'s origin uses: darknet bilinear, torchvision antialiased-bilinear, Keras nearest)').choices([...resizeFilters]),
      ),
  );
}

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('fixations')
  .description('CNN fixations on WebGPU: what a VGG-family classifier looks at')
  .version(version, '-V, --version', 'print the version')
  // Usage errors are one line like every other user error; the help is one --help away.
  .configureOutput({ outputError: (text, write) => write(`${text.trimEnd()} (--help lists the options)\n`) });

modelOptions(program.command('classify').description('print the top classes of each image'))
  .argument('<images...>', 'image files (JPEG, PNG, WebP, ...)')
  .option('-k, --top <k>', 'how many classes to print', positiveInt, 5)
  .option('--json <file>', 'also write the predictions as JSON')
  .action((images: string[], options) => classifyCommand(images, options));

function number(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a non-negative number');
  return n;
}

function threshold(value: string): number | 'adaptive' {
  if (value === 'adaptive') return value;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number in [0, 1] or "adaptive"');
  return n;
}

/** Options of the post-processing, shared by explain --out and the evaluations. */
function mapOptions(command: Command): Command {
  return command
    .option('--sigma <px>', 'attention map Gaussian sigma, in photo pixels', number, defaultMapSettings.sigma)
    .option('--threshold <t>', 'saliency threshold on the [0, 1] map, or "adaptive" (twice the mean)', threshold, defaultMapSettings.threshold)
    .option('--outlier-share <share>', 'keep a fixation when more than this share of all lie within the radius', number, defaultMapSettings.outlierShare)
    .option('--outlier-radius <fraction>', 'outlier radius as a fraction of the photo diagonal', number, defaultMapSettings.outlierRadius)
    .addOption(new Option('--box <from>', 'box around the kept fixations or the largest saliency region').choices(['fixations', 'saliency']).default(defaultMapSettings.boxFrom));
}

function mapSettingsFrom(options: Record<string, unknown>): MapSettings {
  return {
    sigma: options.sigma as number,
    threshold: options.threshold as MapSettings['threshold'],
    outlierShare: options.outlierShare as number,
    outlierRadius: options.outlierRadius as number,
    boxFrom: options.box as MapSettings['boxFrom'],
  };
}

mapOptions(modelOptions(program.command('explain').description('backtrack from a class to the pixels that caused it (CNN fixations)')))
  .argument('<images...>', 'image files, or folders of them (with --out)')
  .addOption(new Option('-r, --rule <rule>', 'hysm ("How you see me") or official (CNN Fixations)').choices([...rules]).default('hysm'))
  .addOption(new Option('--method <method>', 'fixations (with --rule), or another method\'s map: gradcam, cam, centre, random').choices([...methodKinds]).default('fixations'))
  .addOption(new Option('-c, --class <index>', 'explain this class instead of the top-1').argParser(classIndex).conflicts('topK'))
  .option('-k, --top-k <k>', 'explain each of the top k classes', positiveInt)
  .option('--json <file>', 'write predictions, the fixation tree and the fixations as JSON (one image)')
  .option('--no-timings', 'leave timings out of the JSON, so equal runs give byte-identical files')
  .option('--profile', 'also print every layer\'s GPU time, forward and backtracking')
  .option('-o, --out <dir>', 'write pictures (fixations, heatmap, saliency, box, coarse view) and JSON per image, and a summary')
  .addOption(new Option('--colormap <name>', 'heatmap colour map').choices(Object.keys(colormaps)).default('inferno'))
  .option('--shard <i/n>', 'with --out: take every n-th image starting at the i-th (1-based), to split a folder over machines', parseShard)
  .option('--force', 'with --out: redo images whose outputs exist (default: skip them, so an interrupted run resumes)')
  .action(async (images: string[], options) => {
    const method = { kind: options.method as MethodKind, rule: options.rule as Rule };
    if (method.kind !== 'fixations' && (options.topK || options.profile)) throw new InvalidArgumentError(`--top-k and --profile are for fixations, not --method ${method.kind}`);
    if (options.out) {
      if (options.topK) throw new InvalidArgumentError('--top-k is not supported with --out; use --class or the default top-1');
      const summary = await explainBatch(images, { ...options, method, settings: mapSettingsFrom(options), force: Boolean(options.force) });
      if (summary.failed.length > 0) process.exitCode = 1;
      return;
    }
    if (images.length !== 1) throw new InvalidArgumentError('give one image, or use --out <dir> for several images and folders');
    await explainCommand(images[0], { ...options, method, settings: mapSettingsFrom(options) });
  });

const evaluation = program.command('eval').description('the papers\' evaluations');

mapOptions(modelOptions(evaluation.command('saliency').description('saliency maps against ground-truth masks ("How you see me", Table I)')))
  .requiredOption('--images <dir>', 'photos')
  .requiredOption('--masks <dir>', 'binary ground-truth masks named like the photos')
  .addOption(
    new Option('--transposed-photos <how>', 'photos whose size is their mask\'s transposed (stored on their side): turn them upright, or skip them')
      .choices(['rotate-ccw', 'rotate-cw', 'skip'])
      .default('rotate-ccw'),
  )
  .addOption(new Option('-r, --rule <rule>', 'backtracking rule').choices([...rules]).default('hysm'))
  .option('--method <list>', 'fixations (with --rule), gradcam, cam, centre, random, fixations-hysm, fixations-official, a comma-separated list of them, or all: one row each')
  .option('--multi-crop', 'explain the four corner crops and the centre crop, as the CNN-Fixations code does')
  .option('--limit <n>', 'only the first n photos', positiveInt)
  .option('--json <file>', 'write every photo\'s scores as JSON')
  .action((options) => evalSaliencyCommand({ ...options, settings: mapSettingsFrom(options), multiCrop: Boolean(options.multiCrop) }));

mapOptions(modelOptions(evaluation.command('localization').description('weakly supervised localization on ImageNet validation photos (CNN Fixations)')))
  .requiredOption('--images <dir>', 'photos')
  .requiredOption('--labels <csv>', 'labels.csv: file, class, wnid, size, ground-truth boxes')
  .option('--wnids <file>', 'the model\'s classes as wnids in output order (default: wnids.txt beside a darknet cfg, else synsets.txt beside the labels)')
  .addOption(new Option('-r, --rule <rule>', 'backtracking rule').choices([...rules]).default('hysm'))
  .option('--method <list>', 'fixations (with --rule), gradcam, cam, centre, random, fixations-hysm, fixations-official, a comma-separated list of them, or all: one row each')
  .option('--multi-crop', 'explain the four corner crops and the centre crop, as the CNN-Fixations code does')
  .option('--limit <n>', 'only the first n photos', positiveInt)
  .option('--json <file>', 'write every photo\'s boxes and IoUs as JSON')
  .action((options) => evalLocalizationCommand({ ...options, settings: mapSettingsFrom(options), multiCrop: Boolean(options.multiCrop) }));

mapOptions(modelOptions(evaluation.command('faithfulness').description('deletion, insertion, pointing games and the randomization sanity check for every method')))
  .requiredOption('--images <dir>', 'photos')
  .requiredOption('--labels <csv>', 'labels.csv: file, class (and wnid, size, ground-truth boxes for the pointing games)')
  .option('--wnids <file>', 'the model\'s classes as wnids in output order (default: wnids.txt beside a darknet cfg, else synsets.txt beside the labels)')
  .option('--methods <list>', 'all, or a comma-separated list of fixations, fixations-hysm, fixations-official, gradcam, cam, centre, random', 'all')
  .addOption(new Option('-r, --rule <rule>', 'rule of "fixations" (and of the fixation count "random" draws) in --methods').choices([...rules]).default('hysm'))
  .option('--steps <n>', 'deletion and insertion steps', positiveInt, 32)
  .addOption(new Option('--target <class>', 'the class explained and scored').choices(['top-1', 'true']).default('top-1'))
  .option('--limit <n>', 'only the first n photos', positiveInt)
  .option('--sanity-photos <n>', 'run the randomization sanity check on the first n photos (0: skip it)', nonNegativeInt, 4)
  .option('--seed <n>', 'seed of the re-initialised weights', nonNegativeInt, 1)
  .option('--plots <dir>', 'write deletion, insertion and sanity-check curves and per-photo panels as PNGs into this folder')
  .option('--panels <n>', 'with --plots: panels of the first n photos', nonNegativeInt, 3)
  .option('--json <file>', 'write every method\'s scores, curves and the per-photo results as JSON')
  .action((options) => evalFaithfulnessCommand({ ...options, settings: mapSettingsFrom(options) }));

program
  .command('tune')
  .description('measure the kernel variants on this GPU and keep the fastest for later runs')
  .option('--runs <n>', 'timed runs per candidate', positiveInt, 3)
  .action((options) => tuneCommand(options));

addWeightsCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.exitCode = reportError(error);
});
