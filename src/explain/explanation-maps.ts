import { fixationsInPhoto, type Explanation } from './explain.ts';
import type { RgbaImage } from '../image/rgba-image.ts';
import type { AttentionMapper } from '../postprocess/attention-mapper.ts';
import type { Box } from '../postprocess/geometry.ts';
import { makeMaps, type Maps } from '../postprocess/maps.ts';
import type { MapSettings } from '../postprocess/settings.ts';

/** A decoded photo that may have been shrunk from its original size on decode. */
export type Photo = RgbaImage & { originalWidth?: number; originalHeight?: number };

/**
 * The maps of one explanation, at the decoded photo's size (or at most `maxSide` pixels on the longer side, for the
 * screen; see makeMaps). Sigma is given in original-photo pixels (as the reference code's 20 px), so it is scaled when
 * the photo was shrunk on decode.
 */
export function mapsForExplanation(mapper: AttentionMapper, explanation: Explanation, photo: Photo, settings: MapSettings, maxSide?: number): Promise<Maps> {
  const points = fixationsInPhoto(explanation.fixations, explanation.geometry, {});
  const scale = photo.width / (photo.originalWidth ?? photo.width);
  return makeMaps(mapper, points, photo.width, photo.height, { ...settings, sigma: settings.sigma * scale }, maxSide).then((maps) => ({ ...maps, settings }));
}

/** A box in decoded-photo pixels scaled to the original photo's pixels. */
export function toOriginalPixels(box: Box | null, photo: Photo): Box | null {
  if (!box) return null;
  const sx = (photo.originalWidth ?? photo.width) / photo.width;
  const sy = (photo.originalHeight ?? photo.height) / photo.height;
  return { x0: Math.round(box.x0 * sx), y0: Math.round(box.y0 * sy), x1: Math.round(box.x1 * sx), y1: Math.round(box.y1 * sy) };
}

/** What the JSON outputs (CLI and page) say of the maps, boxes in the original photo's pixels. */
export function mapsSummary(maps: Maps, photo: Photo) {
  return {
    settings: maps.settings,
    threshold: maps.threshold,
    keptFixations: maps.kept.length,
    removedFixations: maps.removed.length,
    box: toOriginalPixels(maps.box, photo),
    fixationBox: toOriginalPixels(maps.fixationBox, photo),
    saliencyBox: toOriginalPixels(maps.saliencyBox, photo),
  };
}
