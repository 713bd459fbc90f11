/**
 * The CNN-Fixations weakly supervised localization protocol on ImageNet validation photos: a box from the fixations of
 * the predicted class is right when the class is right and the box overlaps a ground-truth box with IoU ≥ 0.5 (top-1
 * localization error counts the rest); GT-known accuracy takes the box from the true class's fixations.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rule } from '../ops/common/rules.ts';
import { parseImagenetValLabels, type ImagenetValEntry } from '../datasets/imagenet-val.ts';
import type { Explainer } from '../explain/explain.ts';
import { decodeImageFile } from '../image/decode-node.ts';
import type { AttentionMapper } from '../postprocess/attention-mapper.ts';
import { boxIoU, pixelBoxEdges, type Box } from '../postprocess/geometry.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import type { MethodSpec } from '../explain/methods.ts';
import { methodPhotoMaps } from './method-photo.ts';

export interface LocalizationEvalOptions {
  images: string;
  labels: string;
  /** The model's classes as wnids, in its output order (darknet's wnids.txt; synsets.txt for sorted-wnid models). */
  wnids: string[];
  rule: Rule;
  /** The method whose maps give the boxes (default: fixations with `rule`). */
  method?: MethodSpec;
  settings: MapSettings;
  multiCrop: boolean;
  limit?: number;
  onImage?: (file: string, done: number, total: number) => void;
}

export interface LocalizationImageResult {
  file: string;
  predictedWnid: string;
  trueWnid: string;
  classCorrect: boolean;
  box: Box | null;
  iou: number;
  gtKnownBox: Box | null;
  gtKnownIoU: number;
}

export interface LocalizationEvalResult {
  images: LocalizationImageResult[];
  failed: { file: string; error: string }[];
  top1ClassificationError: number;
  top1LocalizationError: number;
  gtKnownLocalizationAccuracy: number;
}

export async function evaluateLocalization(explainer: Explainer, mapper: AttentionMapper, options: LocalizationEvalOptions): Promise<LocalizationEvalResult> {
  const entries = parseImagenetValLabels(readFileSync(options.labels, 'utf8')).slice(0, options.limit ?? Infinity);
  const modelClassOf = (entry: ImagenetValEntry): number => {
    const index = options.wnids.indexOf(entry.wnid);
    if (index < 0) throw new Error(`${entry.wnid} is not one of the model's classes`);
    return index;
  };
  const bestIoU = (box: Box | null, entry: ImagenetValEntry) => (box ? Math.max(0, ...entry.boxes.map((g) => boxIoU(pixelBoxEdges(box), g))) : 0);

  const images: LocalizationImageResult[] = [];
  const failed: { file: string; error: string }[] = [];
  for (const [i, entry] of entries.entries()) {
    try {
      const photo = await decodeImageFile(join(options.images, entry.file));
      const trueClass = modelClassOf(entry);
      const method = options.method ?? { kind: 'fixations', rule: options.rule };
      const maps = await methodPhotoMaps(explainer, mapper, photo, entry.file, method, options.settings, options.multiCrop, [trueClass]);
      const box = maps.box;
      const gtKnownBox = maps.extraBoxes.get(trueClass)!;
      const predictedWnid = options.wnids[maps.prediction.classIndex];
      images.push({
        file: entry.file,
        predictedWnid,
        trueWnid: entry.wnid,
        classCorrect: predictedWnid === entry.wnid,
        box,
        iou: bestIoU(box, entry),
        gtKnownBox,
        gtKnownIoU: bestIoU(gtKnownBox, entry),
      });
    } catch (error) {
      failed.push({ file: entry.file, error: (error as Error).message });
    }
    options.onImage?.(entry.file, i + 1, entries.length);
  }
  const n = Math.max(1, images.length);
  return {
    images,
    failed,
    top1ClassificationError: images.filter((r) => !r.classCorrect).length / n,
    top1LocalizationError: images.filter((r) => !(r.classCorrect && r.iou >= 0.5)).length / n,
    gtKnownLocalizationAccuracy: images.filter((r) => r.gtKnownIoU >= 0.5).length / n,
  };
}
