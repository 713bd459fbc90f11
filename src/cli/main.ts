import { Command, InvalidArgumentError, Option } from 'commander';
import { builtinArchitectures } from '../model/architectures.ts';
import { classifyCommand } from './classify-command.ts';
import { reportError } from './report-error.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function modelOptions(command: Command): Command {
  return command
    .requiredOption('-m, --model <file>', 'darknet .cfg, tfjs model.json or VGG .safetensors')
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

program.parseAsync(process.argv).catch((error: unknown) => {
  process.exitCode = reportError(error);
});
