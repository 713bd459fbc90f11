/**
 * The "How you see me" saliency protocol (its Table I on MSRA-B): explain each photo's top-1 class, turn the fixations
 * into an attention map and a thresholded saliency mask, and score them against the ground-truth mask.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import type { Rule } from '../ops/common/rules.ts';
import type { Explainer } from '../explain/explain.ts';
import { decodeImageFile } from '../image/decode-node.ts';
import type { AttentionMapper } from '../postprocess/attention-mapper.ts';
import { maxF, precisionRecallCurve, saliencyScores, sweepThresholds, type SaliencyScores } from '../postprocess/metrics.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import type { MethodSpec } from '../explain/methods.ts';
import { methodPhotoMaps } from './method-photo.ts';

export interface SaliencyEvalOptions {
  images: string;
  masks: string;
  rule: Rule;
  /** The method whose maps are scored (default: fixations with `rule`). */
  method?: MethodSpec;
  settings: MapSettings;
  multiCrop: boolean;
  /**
   * What to do with a photo whose size is its mask's transposed (stored on its side, as 22 of the SOD photos here are,
   * without an EXIF tag to say so): turn it upright counter-clockwise or clockwise before explaining, or skip it.
   */
  transposedPhotos: 'rotate-ccw' | 'rotate-cw' | 'skip';
  limit?: number;
  onImage?: (file: string, done: number, total: number) => void;
}

export interface SaliencyImageResult {
  file: string;
  label: string;
  fixations: number;
  /** Quarter turns clockwise applied to the photo to match its mask. */
  rotated: 0 | 90 | 270;
  scores: SaliencyScores;
}

export interface SaliencyEvalResult {
  images: SaliencyImageResult[];
  failed: { file: string; error: string }[];
  mean: SaliencyScores;
  /** F(β² = 0.3) of the precision and recall averaged over photos, at the best threshold of the sweep. */
  maxF: { f: number; threshold: number };
}

async function readMask(path: string): Promise<{ mask: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { mask: Uint8Array.from(data, (v) => (v > 127 ? 1 : 0)), width: info.width, height: info.height };
}

function maskFor(masks: string, image: string): string {
  const base = basename(image, extname(image));
  for (const ext of ['.png', '.bmp', '.jpg', '.jpeg', '.gif', '.tif']) if (existsSync(join(masks, base + ext))) return join(masks, base + ext);
  throw new Error(`no ground-truth mask named ${base}.png (or .bmp, .jpg) in ${masks}`);
}

export async function evaluateSaliency(explainer: Explainer, mapper: AttentionMapper, options: SaliencyEvalOptions): Promise<SaliencyEvalResult> {
  const files = readdirSync(options.images).filter((f) => !f.startsWith('.')).sort().slice(0, options.limit ?? Infinity);
  const images: SaliencyImageResult[] = [];
  const failed: { file: string; error: string }[] = [];
  const curves: { precision: number[]; recall: number[] }[] = [];
  for (const [i, file] of files.entries()) {
    try {
      const truth = await readMask(maskFor(options.masks, file));
      let photo = await decodeImageFile(join(options.images, file));
      let rotated: 0 | 90 | 270 = 0;
      if (photo.width !== truth.width && photo.width === truth.height && photo.height === truth.width) {
        if (options.transposedPhotos === 'skip') throw new Error(`the photo is ${photo.width}×${photo.height}, its mask ${truth.width}×${truth.height} (skipped)`);
        rotated = options.transposedPhotos === 'rotate-ccw' ? 270 : 90;
        photo = await decodeImageFile(join(options.images, file), { rotate: rotated });
      }
      if (photo.width !== truth.width || photo.height !== truth.height) {
        throw new Error(`the photo is ${photo.width}×${photo.height}, its mask ${truth.width}×${truth.height}`);
      }
      const method = options.method ?? { kind: 'fixations', rule: options.rule };
      const maps = await methodPhotoMaps(explainer, mapper, photo, file, method, options.settings, options.multiCrop);
      images.push({ file, label: maps.prediction.label, fixations: maps.fixations, rotated, scores: saliencyScores(maps.saliency, truth.mask, maps.attention) });
      curves.push(precisionRecallCurve(maps.attention, truth.mask, sweepThresholds));
    } catch (error) {
      failed.push({ file, error: (error as Error).message });
    }
    options.onImage?.(file, i + 1, files.length);
  }
  const keys = ['accuracy', 'precision', 'recall', 'f1', 'fBeta', 'iou', 'mae'] as const;
  const mean = Object.fromEntries(keys.map((k) => [k, images.reduce((s, r) => s + r.scores[k], 0) / Math.max(1, images.length)])) as unknown as SaliencyScores;
  return { images, failed, mean, maxF: maxF(curves) };
}
