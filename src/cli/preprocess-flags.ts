/** `--mean --std --size --resize --bgr --scale`: the preprocessing of a model whose file stores none (ONNX). */
import { extname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseTriple, resizeChoices, type PreprocessOptions } from '../model/preprocess-options.ts';

function triple(positive: boolean) {
  return (value: string) => {
    const parsed = parseTriple(value, positive);
    if (typeof parsed === 'string') throw new InvalidArgumentError(parsed);
    return parsed;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function side(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8192) throw new InvalidArgumentError('must be a whole number of pixels (1 to 8192)');
  return n;
}

export function preprocessFlags(command: Command): Command {
  return command
    .option('--mean <r,g,b>', 'ONNX: per-channel mean subtracted from RGB in [0, 1] (in [0, 255] with --scale 255)', triple(false))
    .option('--std <r,g,b>', 'ONNX: per-channel standard deviation divided by', triple(true))
    .option('--size <n>', 'ONNX: input side in pixels, for models with a symbolic height and width', side)
    .addOption(new Option('--resize <how>', 'ONNX: how the photo becomes the input (default stretch)').choices([...resizeChoices]))
    .option('--bgr', 'ONNX: the model takes BGR channels')
    .option('--scale <max>', 'ONNX: pixels in [0, max] before mean and std: 1 (default) or 255', positiveNumber);
}

export interface PreprocessFlagValues {
  mean?: PreprocessOptions['mean'];
  std?: PreprocessOptions['std'];
  size?: number;
  resize?: PreprocessOptions['resize'];
  bgr?: boolean;
  scale?: number;
}

/** The flags given, as preprocessing options; an error when given for a model whose format stores its own. */
export function preprocessFromFlags(model: string, flags: PreprocessFlagValues): PreprocessOptions | undefined {
  const given = (['mean', 'std', 'size', 'resize', 'bgr', 'scale'] as const).filter((k) => flags[k] !== undefined);
  if (given.length === 0) return undefined;
  if (extname(model).toLowerCase() !== '.onnx') {
    throw new InvalidArgumentError(`${given.map((k) => `--${k}`).join(', ')} set the preprocessing of ONNX models; ${model} stores its own`);
  }
  return { mean: flags.mean, std: flags.std, size: flags.size, resize: flags.resize, bgr: flags.bgr, scale: flags.scale };
}
