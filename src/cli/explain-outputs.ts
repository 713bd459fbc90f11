import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rule } from '../backtrack/rules.ts';
import { explanationJson, type Explainer } from '../explain.ts';
import type { DecodedImage } from '../image/decode-node.ts';
import { writePng } from '../image/encode-node.ts';
import { jsonText } from '../json-text.ts';
import type { AttentionMapper } from '../postprocess/attention-mapper.ts';
import { mapsForExplanation, mapsSummary, toOriginalPixels } from '../postprocess/explanation-maps.ts';
import { pixelBoxEdges } from '../postprocess/geometry.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { boxesOverlay, fixationsOverlay, heatmapOverlay, maskImage } from '../render/overlays.ts';

export interface OutputOptions {
  rule: Rule;
  target?: number;
  settings: MapSettings;
  colormap: Uint8Array;
  timings: boolean;
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
  const state = await explainer.forward(photo);
  const explanation = await explainer.backtrack(state, options.rule, options.target);
  const maps = await mapsForExplanation(mapper, explanation, photo, options.settings);
  const coarse = await explainer.coarse(explanation);
  const files = outputFiles(base);
  const path = (name: string) => join(outDir, name);
  const boxes = [];
  if (maps.box) boxes.push({ box: pixelBoxEdges(maps.box), color: [60, 255, 60] as const });
  await Promise.all([
    writePng(path(files.fixations), fixationsOverlay(photo, maps.kept, maps.removed)),
    writePng(path(files.heatmap), heatmapOverlay(photo, maps.attention, options.colormap)),
    writePng(path(files.saliency), maskImage(maps.saliency, photo.width, photo.height)),
    writePng(path(files.box), boxesOverlay(photo, boxes)),
    writePng(path(files.coarse), boxesOverlay(photo, coarse ? [{ box: coarse.photoBox, color: [255, 200, 0] }] : [])),
  ]);
  const json = {
    image: { file, width: photo.originalWidth, height: photo.originalHeight },
    model: explainer.model.name,
    preprocess: explainer.model.preprocess,
    ...explanationJson(explanation, options.timings),
    maps: {
      ...mapsSummary(maps, photo),
      coarse: coarse && { ...coarse, photoBox: toOriginalPixels(coarse.photoBox, photo) },
      files,
    },
  };
  // Written under a temporary name and renamed, so a JSON present is a JSON complete.
  await writeFile(path(`${files.json}.part`), jsonText(json));
  await rename(path(`${files.json}.part`), path(files.json));
  return json;
}
