/**
 * Preprocessing given by hand, for formats that carry none (ONNX): `--mean r,g,b --std r,g,b --size N
 * --resize stretch|shorter-side-crop|letterbox --bgr --scale 255`, the same fields the page's ONNX form asks for.
 * What is not given falls back to a stated default, and {@link PreprocessChoice.defaults} says which.
 */
import { unitRgbPreprocess, type Preprocess, type ResizeFilter, type Triple } from './preprocess.ts';

export const resizeChoices = ['stretch', 'shorter-side-crop', 'letterbox'] as const;
export type ResizeChoice = (typeof resizeChoices)[number];

export interface PreprocessOptions {
  /** Per channel, subtracted from the pixel in [0, scale] (RGB, or BGR with `bgr`). */
  mean?: Triple;
  std?: Triple;
  /** Input side in pixels, where the model does not fix it (a symbolic height and width). */
  size?: number;
  resize?: ResizeChoice;
  /** Channels in BGR order (Caffe-style models). */
  bgr?: boolean;
  /** Pixels in [0, scale] before mean and std: 1 (the default) or 255. */
  scale?: number;
  /** How photos are resampled (`--resize-filter`); default the unit-RGB recipe's. */
  resizeFilter?: ResizeFilter;
}

export interface PreprocessChoice {
  preprocess: Preprocess;
  /** The options left out, as they would be written on the command line with their default values. */
  defaults: string[];
}

export const preprocessDefaults = { mean: [0, 0, 0] as Triple, std: [1, 1, 1] as Triple, resize: 'stretch' as ResizeChoice, scale: 1 };

/** The preprocessing of a width×height input from the options given; letterboxing fills with mid-grey (0.5·scale). */
export function preprocessFromOptions(width: number, height: number, options: PreprocessOptions): PreprocessChoice {
  const defaults: string[] = [];
  const pick = <T>(value: T | undefined, fallback: T, flag: string): T => {
    if (value !== undefined) return value;
    defaults.push(flag);
    return fallback;
  };
  const mean = pick(options.mean, preprocessDefaults.mean, `--mean ${preprocessDefaults.mean.join(',')}`);
  const std = pick(options.std, preprocessDefaults.std, `--std ${preprocessDefaults.std.join(',')}`);
  const resize = pick(options.resize, preprocessDefaults.resize, `--resize ${preprocessDefaults.resize}`);
  const scale = pick(options.scale, preprocessDefaults.scale, `--scale ${preprocessDefaults.scale}`);
  const preprocess: Preprocess = {
    ...unitRgbPreprocess(width, height),
    resize: resize === 'stretch' ? 'resize' : resize === 'shorter-side-crop' ? 'center-crop' : 'letterbox',
    cropFraction: 1,
    letterboxFill: resize === 'letterbox' ? 0.5 * scale : 0,
    scale: scale / 255,
    mean,
    std,
    channelOrder: options.bgr ? 'bgr' : 'rgb',
    ...(options.resizeFilter ? { resizeFilter: options.resizeFilter } : {}),
  };
  return { preprocess, defaults };
}

/** "0.485,0.456,0.406" → a triple, or an error message. */
export function parseTriple(text: string, positive: boolean): Triple | string {
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.length !== 3 || parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v))) return 'must be three numbers separated by commas, such as 0.485,0.456,0.406';
  if (positive && values.some((v) => v <= 0)) return 'must be three positive numbers';
  return values as unknown as Triple;
}
