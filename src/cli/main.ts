import { Command, InvalidArgumentError, Option } from 'commander';
import { builtinArchitectures } from '../model/architectures.ts';
import { classifyCommand } from './classify-command.ts';
import { explainCommand } from './explain-command.ts';
import { rules } from '../backtrack/rules.ts';
import { reportError } from './report-error.ts';
import { addWeightsCommands } from './weights-command.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function classIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a class index (0, 1, …)');
  return n;
}

function modelOptions(command: Command): Command {
  return command
    .requiredOption('-m, --model <file>', 'darknet .cfg, tfjs model.json, VGG .safetensors or .h5, *.fixations.json, or a downloaded model name (vgg19)')
    .addOption(new Option('--arch <name>', 'architecture of a safetensors checkpoint').choices([...builtinArchitectures]))
    .option('--weights <file>', 'darknet .weights file (default: the one beside the cfg)')
    .option('--labels <file>', 'class names, one per line, in output order');
}

const program = new Command('fixations')
  .description('CNN fixations on WebGPU: what a VGG-family classifier looks at')
  .showHelpAfterError();

modelOptions(program.command('classify').description('print the top classes of each image'))
  .argument('<images...>', 'image files (JPEG, PNG, WebP, ...)')
  .option('-k, --top <k>', 'how many classes to print', positiveInt, 5)
  .option('--json <file>', 'also write the predictions as JSON')
  .action((images: string[], options) => classifyCommand(images, options));

modelOptions(program.command('explain').description('backtrack from a class to the pixels that caused it (CNN fixations)'))
  .argument('<image>', 'an image file')
  .addOption(new Option('-r, --rule <rule>', 'hysm ("How you see me") or official (CNN Fixations)').choices([...rules]).default('hysm'))
  .addOption(new Option('-c, --class <index>', 'explain this class instead of the top-1').argParser(classIndex).conflicts('topK'))
  .option('-k, --top-k <k>', 'explain each of the top k classes', positiveInt)
  .option('--json <file>', 'write predictions, the fixation tree and the fixations as JSON')
  .option('--no-timings', 'leave timings out of the JSON, so equal runs give byte-identical files')
  .action((image: string, options) => explainCommand(image, options));

addWeightsCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.exitCode = reportError(error);
});
