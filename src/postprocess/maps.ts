import { boxAroundPoints, largestRegionBox, type Box, type Point } from './geometry.ts';
import type { AttentionMapper } from './attention-mapper.ts';
import { removeOutliers } from './outliers.ts';
import type { MapSettings } from './settings.ts';

/** What the post-processing makes of one photo's fixations. */
export interface Maps {
  width: number;
  height: number;
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

/** Outliers removed (CPU), attention and saliency (GPU), boxes (CPU), in photo pixels. */
export async function makeMaps(mapper: AttentionMapper, points: readonly Point[], width: number, height: number, settings: MapSettings): Promise<Maps> {
  const radius = settings.outlierRadius * Math.hypot(width, height);
  const { kept, removed } = removeOutliers(points, radius, settings.outlierShare);
  const { attention, saliency, threshold } = await mapper.compute(kept, width, height, settings.sigma, settings.threshold);
  const fixationBox = boxAroundPoints(kept);
  const saliencyBox = largestRegionBox(saliency, width, height);
  return {
    width,
    height,
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
