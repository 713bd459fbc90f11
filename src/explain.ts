import { GpuBacktracker } from './backtrack/gpu-backtracker.ts';
import type { Rule } from './backtrack/rules.ts';
import { fixationPoints, type TreeLevel } from './backtrack/tree.ts';
import { classify } from './classify.ts';
import { GpuModel, type GpuModelOptions } from './forward/gpu-model.ts';
import type { GpuContext } from './gpu/context.ts';
import type { RgbaImage } from './image/rgba-image.ts';
import type { Model } from './model/model.ts';
import { modelPixelToImage, type ResampleGeometry } from './model/preprocess.ts';
import type { Prediction } from './predictions.ts';

export interface ExplainOptions {
  rule?: Rule;
  /** Explain this class; default the top-1 prediction. */
  target?: number;
  /** Explain each of the top k classes instead (one tree each, one forward pass). */
  topK?: number;
}

/** A photo whose decoded pixels were shrunk from a larger original (see decode-node.ts). */
interface MaybeShrunk {
  originalWidth?: number;
  originalHeight?: number;
}

export interface Explanation {
  predictions: Prediction[];
  target: Prediction;
  rule: Rule;
  /** The fixation tree, from the class down to the input. */
  layers: TreeLevel[];
  /** Fixations as (x, y) in model-input pixels, sorted by y then x. */
  fixations: [number, number][];
  /** The same fixations in the original photo's pixels (letterbox padding dropped), sorted by y then x. */
  fixationsInImage: [number, number][];
  geometry: ResampleGeometry;
  timings: { forwardMs: number; backtrackMs: number };
}

/** Model-input pixels → original photo pixels, through the preprocessing and any shrinking on decode. */
export function fixationsInPhoto(points: [number, number][], geometry: ResampleGeometry, photo: MaybeShrunk): [number, number][] {
  const scaleX = (photo.originalWidth ?? geometry.imageWidth) / geometry.imageWidth;
  const scaleY = (photo.originalHeight ?? geometry.imageHeight) / geometry.imageHeight;
  const seen = new Set<number>();
  const out: [number, number][] = [];
  for (const [x, y] of points) {
    const pixel = modelPixelToImage(geometry, x, y);
    if (!pixel) continue;
    const ox = Math.floor((pixel[0] + 0.5) * scaleX);
    const oy = Math.floor((pixel[1] + 0.5) * scaleY);
    const key = oy * 1e6 + ox;
    if (!seen.has(key)) {
      seen.add(key);
      out.push([ox, oy]);
    }
  }
  return out.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
}

/** A model on the GPU with its backtracker: forward once, then explain any class with either rule. */
export class Explainer {
  private constructor(
    readonly gpuModel: GpuModel,
    readonly backtracker: GpuBacktracker,
  ) {}

  static async create(context: GpuContext, model: Model, options?: GpuModelOptions): Promise<Explainer> {
    const gpuModel = await GpuModel.create(context, model, options);
    return new Explainer(gpuModel, await GpuBacktracker.create(gpuModel));
  }

  get model(): Model {
    return this.gpuModel.model;
  }

  /** One explanation per requested target, all from one forward pass. */
  async explainAll(photo: RgbaImage & MaybeShrunk, options: ExplainOptions = {}): Promise<Explanation[]> {
    const rule = options.rule ?? 'hysm';
    const k = Math.max(5, options.topK ?? 1);
    const result = await classify(this.gpuModel, photo, k);
    const targets: Prediction[] =
      options.target !== undefined
        ? [this.prediction(options.target, result.probabilities)]
        : result.predictions.slice(0, options.topK ?? 1);
    const explanations: Explanation[] = [];
    for (const target of targets) {
      const { tree, backtrackMs } = await this.backtracker.run(target.classIndex, rule);
      const fixations = fixationPoints(tree.levels[tree.levels.length - 1]);
      explanations.push({
        predictions: result.predictions.slice(0, 5),
        target,
        rule,
        layers: tree.levels,
        fixations,
        fixationsInImage: fixationsInPhoto(fixations, result.geometry, photo),
        geometry: result.geometry,
        timings: { forwardMs: result.forwardMs, backtrackMs },
      });
    }
    return explanations;
  }

  /** The explanation of one class: `options.target`, or the top-1 prediction. */
  async explain(photo: RgbaImage & MaybeShrunk, options: Omit<ExplainOptions, 'topK'> = {}): Promise<Explanation> {
    const [explanation] = await this.explainAll(photo, options);
    return explanation;
  }

  private prediction(classIndex: number, probabilities: Float64Array): Prediction {
    const classes = this.model.labels.length;
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= classes) {
      throw new RangeError(`class ${classIndex} is not one of the model's ${classes} classes (0 … ${classes - 1})`);
    }
    return { classIndex, label: this.model.labels[classIndex], probability: probabilities[classIndex] };
  }

  destroy(): void {
    this.backtracker.destroy();
    this.gpuModel.destroy();
  }
}

/** `explain(explainer, image, { rule, target })`: the API, as a function. */
export function explain(explainer: Explainer, photo: RgbaImage & MaybeShrunk, options?: ExplainOptions): Promise<Explanation> {
  return explainer.explain(photo, options);
}

/** What `--json` writes: plain arrays, per-layer counts, and timings unless asked to leave them out. */
export function explanationJson(e: Explanation, withTimings = true): Record<string, unknown> {
  return {
    target: e.target,
    rule: e.rule,
    predictions: e.predictions,
    layers: e.layers.map((level) => ({
      name: level.name,
      shape: [level.shape.channels, level.shape.height, level.shape.width],
      count: level.nodes.length,
      nodes: Array.from(level.nodes),
      parents: Array.from(level.parents),
      parentCounts: Array.from(level.parentCounts),
      childCounts: Array.from(level.childCounts),
    })),
    fixations: e.fixations,
    fixationsInImage: e.fixationsInImage,
    ...(withTimings ? { timings: e.timings } : {}),
  };
}
