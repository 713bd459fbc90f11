import { boxAroundPoints, largestRegionBox, type Box, type Point } from './geometry.ts';
import type { AttentionMapper } from './attention-mapper.ts';
import { removeOutliers } from './outliers.ts';
import type { MapSettings } from './settings.ts';

/** What the post-processing makes of one photo's fixations. */
export interface Maps {
  /** Size of `attention` and `saliency`: the photo's, or smaller when made for the screen (see `makeMaps`). */
  width: number;
  height: number;
  /** The photo's size: fixations and boxes are in its pixels whatever the maps' size. */
  photoWidth: number;
  photoHeight: number;
  settings: MapSettings;
  /** Fixations after outlier removal, and those removed. */
  kept: Point[];
  removed: Point[];
  attention: Float32Array;
  saliency: Uint8Array;
  threshold: number;
  /** The box chosen by `settings.boxFrom`, with both candidates beside it. */
  box: Box | null;
  fixationBox: Box | null;
  saliencyBox: Box | null;
}

/** The maps' size for a photo when they need be no larger than `maxSide` pixels on their longer side. */
export function mapSize(width: number, height: number, maxSide = Infinity): { width: number; height: number } {
  const longer = Math.max(width, height);
  if (longer <= maxSide) return { width, height };
  const scale = maxSide / longer;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A box of map pixels as the photo pixels it covers. */
function boxInPhoto(box: Box | null, sx: number, sy: number): Box | null {
  if (!box || (sx === 1 && sy === 1)) return box;
  return { x0: Math.floor(box.x0 * sx), y0: Math.floor(box.y0 * sy), x1: Math.ceil((box.x1 + 1) * sx) - 1, y1: Math.ceil((box.y1 + 1) * sy) - 1 };
}

/**
 * Outliers removed (CPU), attention and saliency (GPU), boxes (CPU), in photo pixels. With `maxSide` the attention and
 * saliency maps are made at most that large (the page's display resolution, or a preview while a slider moves):
 * the blur costs pixels × radius, so half the side is an eighth of the work. Outlier removal and the fixation box stay
 * in photo pixels, exact at any size; sigma is scaled with the maps, the saliency box scaled back.
 */
export async function makeMaps(mapper: AttentionMapper, points: readonly Point[], width: number, height: number, settings: MapSettings, maxSide?: number): Promise<Maps> {
  const radius = settings.outlierRadius * Math.hypot(width, height);
  const { kept, removed } = removeOutliers(points, radius, settings.outlierShare);
  const grid = mapSize(width, height, maxSide);
  const sx = grid.width / width;
  const sy = grid.height / height;
  const onGrid = sx === 1 && sy === 1 ? kept : kept.map(([x, y]): Point => [Math.min(grid.width - 1, Math.floor((x + 0.5) * sx)), Math.min(grid.height - 1, Math.floor((y + 0.5) * sy))]);
  const { attention, saliency, threshold } = await mapper.compute(onGrid, grid.width, grid.height, settings.sigma * sx, settings.threshold);
  const fixationBox = boxAroundPoints(kept);
  const saliencyBox = boxInPhoto(largestRegionBox(saliency, grid.width, grid.height), 1 / sx, 1 / sy);
  return {
    width: grid.width,
    height: grid.height,
    photoWidth: width,
    photoHeight: height,
    settings,
    kept,
    removed,
    attention,
    saliency,
    threshold,
    box: settings.boxFrom === 'fixations' ? fixationBox : saliencyBox,
    fixationBox,
    saliencyBox,
  };
}
