import { basename, join } from 'node:path';
import { replaceFilesTogether } from '../files/atomic-write-node.ts';
import type { Rule } from '../ops/common/rules.ts';
import { explanationJson, type Explainer } from '../explain/explain.ts';
import type { DecodedImage } from '../image/decode-node.ts';
import { encodePng } from '../image/encode-node.ts';
import { jsonText } from '../explain/json-text.ts';
import type { AttentionMapper } from '../postprocess/attention-mapper.ts';
import { mapsForExplanation, mapsSummary, toOriginalPixels } from '../explain/explanation-maps.ts';
import { largestRegionBox, pixelBoxEdges } from '../postprocess/geometry.ts';
import { methodMap, methodName, seedOf, thresholdMap, type MethodSpec } from '../explain/methods.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { boxesOverlay, fixationsOverlay, heatmapOverlay, maskImage } from '../render/overlays.ts';

export interface OutputOptions {
  rule: Rule;
  target?: number;
  settings: MapSettings;
  colormap: Uint8Array;
  timings: boolean;
  /** What made these outputs, recorded in the JSON so a resumed run only keeps outputs made the same way. */
  run: RunRecord;
  /** Another method than the fixations of `rule` (src/explain/methods.ts). */
  method?: MethodSpec;
}

/** Everything that decides a photo's outputs, as written in its JSON under `run`. */
export interface RunRecord {
  /** The model as given: `--model` (resolved when a path) and the options that change what it loads. */
  model: { source: string; weights: string | null; arch: string | null; classNames: string | null };
  rule: Rule;
  /** A class index, or `top-1`. */
  target: number | 'top-1';
  settings: MapSettings;
  colormap: string;
  /** `--method` when not fixations (absent for fixations, as before methods existed). */
  method?: string;
}

/** How two run records differ, in words (`rule hysm, here official`), or an empty list. */
export function runDifferences(stored: unknown, current: RunRecord): string[] {
  if (typeof stored !== 'object' || stored === null) return ['made before runs recorded their settings'];
  const old = stored as Record<string, unknown>;
  const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  return (['model', 'rule', 'target', 'settings', 'colormap', 'method'] as const)
    .filter((key) => JSON.stringify(old[key]) !== JSON.stringify(current[key]))
    .map((key) => `${key} ${show(old[key])}, here ${show(current[key])}`);
}

/** The files written per photo; the JSON comes last, so its presence means the photo is done (resume). */
export function outputFiles(base: string): { fixations: string; heatmap: string; saliency: string; box: string; coarse: string; json: string } {
  return {
    fixations: `${base}.fixations.png`,
    heatmap: `${base}.heatmap.png`,
    saliency: `${base}.saliency.png`,
    box: `${base}.box.png`,
    coarse: `${base}.coarse.png`,
    json: `${base}.json`,
  };
}

/** Explains one photo and writes its pictures and JSON into `outDir`. Returns the JSON written. */
export async function writeExplanationOutputs(
  explainer: Explainer,
  mapper: AttentionMapper,
  photo: DecodedImage,
  file: string,
  outDir: string,
  base: string,
  options: OutputOptions,
): Promise<Record<string, unknown>> {
  if (options.method && options.method.kind !== 'fixations') return writeMethodOutputs(explainer, mapper, photo, file, outDir, base, options, options.method);
  const state = await explainer.forward(photo);
  const explanation = await explainer.backtrack(state, options.rule, options.target);
  const maps = await mapsForExplanation(mapper, explanation, photo, options.settings);
  const coarse = await explainer.coarse(explanation);
  const files = outputFiles(base);
  const path = (name: string) => join(outDir, name);
  const boxes = [];
  if (maps.box) boxes.push({ box: pixelBoxEdges(maps.box), color: [60, 255, 60] as const });
  const pictures = await Promise.all([
    encodePng(fixationsOverlay(photo, maps.kept, maps.removed)),
    encodePng(heatmapOverlay(photo, maps.attention, options.colormap)),
    encodePng(maskImage(maps.saliency, photo.width, photo.height)),
    encodePng(boxesOverlay(photo, boxes)),
    encodePng(boxesOverlay(photo, coarse ? [{ box: coarse.photoBox, color: [255, 200, 0] }] : [])),
  ]);
  const json = {
    image: { file, width: photo.originalWidth, height: photo.originalHeight },
    model: explainer.model.name,
    run: options.run,
    preprocess: explainer.model.preprocess,
    ...explanationJson(explanation, options.timings),
    maps: {
      ...mapsSummary(maps, photo),
      coarse: coarse && { ...coarse, photoBox: toOriginalPixels(coarse.photoBox, photo) },
      files,
    },
  };
  // Every file through a temporary name, the old JSON removed before the new pictures replace the old ones and the new
  // JSON renamed last: a run killed at any point leaves whole files, and a JSON only beside the pictures it describes.
  await replaceFilesTogether([
    ...[files.fixations, files.heatmap, files.saliency, files.box, files.coarse].map((name, i) => ({ path: path(name), data: pictures[i] })),
    { path: path(files.json), data: jsonText(json) },
  ]);
  return json;
}

/**
 * The outputs of another method than fixations: its heatmap, the mask thresholded from its map (settings.threshold)
 * and the box of that mask's largest region, and the JSON; no fixations or coarse view.
 */
async function writeMethodOutputs(
  explainer: Explainer,
  mapper: AttentionMapper,
  photo: DecodedImage,
  file: string,
  outDir: string,
  base: string,
  options: OutputOptions,
  method: MethodSpec,
): Promise<Record<string, unknown>> {
  const state = await explainer.forward(photo);
  const target = options.target ?? state.predictions[0].classIndex;
  const map = await methodMap(method, { explainer, mapper, settings: options.settings, state, photo, target, seed: seedOf(basename(file)) });
  const saliency = thresholdMap(map.photo, options.settings.threshold);
  const box = largestRegionBox(saliency, photo.width, photo.height);
  const files = outputFiles(base);
  const path = (name: string) => join(outDir, name);
  const pictures = await Promise.all([
    encodePng(heatmapOverlay(photo, map.photo, options.colormap)),
    encodePng(maskImage(saliency, photo.width, photo.height)),
    encodePng(boxesOverlay(photo, box ? [{ box: pixelBoxEdges(box), color: [60, 255, 60] as const }] : [])),
  ]);
  const json = {
    image: { file, width: photo.originalWidth, height: photo.originalHeight },
    model: explainer.model.name,
    run: options.run,
    preprocess: explainer.model.preprocess,
    method: methodName(method),
    target: { classIndex: target, label: explainer.model.labels[target], probability: state.probabilities[target] },
    predictions: state.predictions,
    ...(map.layer ? { layer: map.layer } : {}),
    fixations: map.points?.kept ?? [],
    maps: { box: toOriginalPixels(box, photo), files: { heatmap: files.heatmap, saliency: files.saliency, box: files.box, json: files.json } },
  };
  await replaceFilesTogether([
    ...[files.heatmap, files.saliency, files.box].map((name, i) => ({ path: path(name), data: pictures[i] })),
    { path: path(files.json), data: jsonText(json) },
  ]);
  return json;
}
