import { GpuBacktracker } from '../backtrack/gpu-backtracker.ts';
import type { Rule } from '../ops/common/rules.ts';
import { fixationPoints, type TreeLevel } from '../backtrack/tree.ts';
import { classification, classify } from './classify.ts';
import { firstNonFinite } from './finite-outputs.ts';
import { gpuTensorBytes } from '../gpu/tensor.ts';
import { GpuModel, type GpuModelOptions } from '../forward/gpu-model.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { RgbaImage } from '../image/rgba-image.ts';
import { gradientKeeps } from '../graph/gradient-path.ts';
import { graphOf, type Model } from '../graph/model.ts';
import { modelPixelToImage, type ResampleGeometry } from '../model/preprocess.ts';
import { coarseCell, lastSpatialLevel, lastSpatialTensor, type CoarseCell } from '../postprocess/coarse.ts';
import { topPredictions, type Prediction } from './predictions.ts';
import { GpuGradient } from '../gradient/executor.ts';
import { camHead, gradcamMap, weightedChannelSum, type LayerMap } from './layer-map.ts';

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
  /** The forward pass whose activations it came from (see Explainer.forward). */
  generation: number;
  /** The image of a batched forward pass it came from (ForwardState.image). */
  image?: number;
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

/**
 * A GpuModel's options for an explainer: the coarse view's tensor (the last spatial one) stays readable after the
 * forward pass, and what the gradient from the logits back to it reads (Grad-CAM's default layer).
 */
export function explainerModelOptions(model: Model, options: GpuModelOptions = {}): GpuModelOptions {
  const coarse = lastSpatialTensor(graphOf(model));
  return { ...options, keep: [...new Set([...(options.keep ?? []), ...(coarse ? gradientKeeps(model, coarse) : [])])] };
}

/** The result of one forward pass, valid until the next one overwrites the activations on the GPU. */
export interface ForwardState {
  predictions: Prediction[];
  probabilities: Float64Array;
  geometry: ResampleGeometry;
  photo: MaybeShrunk;
  forwardMs: number;
  /** Which forward pass of the explainer this was. */
  generation: number;
  /** Which image of a batched forward pass (forwardCrops) it is; absent for a single forward. */
  image?: number;
}

/** Bytes a batched scoring model may use for its activations (see scoringBatch). */
export const scoringActivationBudget = 256 * 2 ** 20;

/** The most images one batched forward pass of `scoreMany` holds. */
export const maxScoringBatch = 8;

/**
 * A model on the GPU with its backtracker. `forward` runs the network once; `backtrack` then explains any class with
 * either rule from the kept activations, as often as wanted, until the next forward pass.
 */
export class Explainer {
  private generation = 0;
  /** The GPU backward to each layer Grad-CAM was asked for, prepared on first use (once, however many ask at once). */
  private readonly gradients = new Map<string, Promise<GpuGradient>>();
  /**
   * Copies of the model holding several images (GpuModel.withBatch), made on first use and kept: `crops` keeps what
   * the backtracking reads, for forwardCrops; `scores` keeps only the output, for scoreMany.
   */
  private readonly batchModels = new Map<string, Promise<GpuModel>>();
  /** The image of the latest batched forward pass that the single model's activations hold now (null: none). */
  private loadedImage: number | null = null;

  private constructor(
    readonly gpuModel: GpuModel,
    readonly backtracker: GpuBacktracker,
  ) {}

  static async create(context: GpuContext, model: Model, options: GpuModelOptions = {}): Promise<Explainer> {
    return Explainer.forModel(await GpuModel.create(context, model, explainerModelOptions(model, options)));
  }

  /** An explainer around a model already on the GPU (the benchmark times the model's creation on its own). */
  static async forModel(gpuModel: GpuModel): Promise<Explainer> {
    return new Explainer(gpuModel, await GpuBacktracker.create(gpuModel));
  }

  get model(): Model {
    return this.gpuModel.model;
  }

  /** Runs the network on a photo, placed by the model's preprocessing or by `geometry` (a crop). */
  async forward(photo: RgbaImage & MaybeShrunk, geometry?: ResampleGeometry): Promise<ForwardState> {
    const result = await classify(this.gpuModel, photo, 5, geometry);
    this.loadedImage = null;
    return { ...result, photo: { originalWidth: photo.originalWidth, originalHeight: photo.originalHeight }, generation: ++this.generation };
  }

  /**
   * Runs the network on several crops of one photo in one batched forward pass (the multi-crop explanation's five).
   * Each state backtracks like a single forward's: the first backtrack, Grad-CAM or CAM of a crop copies its
   * activations into the single model (GpuModel.copyImageInto). A later forward pass of either kind ends them all.
   */
  async forwardCrops(photo: RgbaImage & MaybeShrunk, geometries: readonly ResampleGeometry[]): Promise<ForwardState[]> {
    if (geometries.length === 0) return [];
    const batch = await this.batchModel('crops', geometries.length);
    const results = await batch.runMany(photo, [...geometries]);
    const generation = ++this.generation;
    this.loadedImage = null;
    const states: ForwardState[] = [];
    for (const [image, result] of results.entries()) {
      // Non-finite scores are traced through the crop's own activations.
      if (firstNonFinite(result.scores) >= 0) await this.load(batch, image);
      // The batch's time shared out: what one crop cost.
      const classified = await classification(this.gpuModel, { ...result, forwardMs: result.forwardMs / results.length });
      states.push({ ...classified, photo: { originalWidth: photo.originalWidth, originalHeight: photo.originalHeight }, generation, image });
    }
    return states;
  }

  /**
   * A copy of this model on the GPU holding `images` images (or more: it grows, never shrinks), weights uploaded
   * again. `crops` keeps every tensor the single model keeps; `scores` only the output.
   */
  private batchModel(purpose: 'crops' | 'scores', images: number): Promise<GpuModel> {
    const existing = this.batchModels.get(purpose);
    const made = existing?.then((m) => (m.batch >= images ? m : this.growBatchModel(purpose, m, images)));
    const model = made ?? this.gpuModel.withBatch(images, purpose === 'crops' ? 'same' : 'output');
    this.batchModels.set(purpose, model);
    model.catch(() => this.batchModels.delete(purpose));
    return model;
  }

  private async growBatchModel(purpose: 'crops' | 'scores', old: GpuModel, images: number): Promise<GpuModel> {
    old.destroy();
    return this.gpuModel.withBatch(images, purpose === 'crops' ? 'same' : 'output');
  }

  /** The model forwardCrops ran on: there is one whenever a state or explanation names an image. */
  private cropsModel(): Promise<GpuModel> {
    return this.batchModels.get('crops')!;
  }

  /** Copies image `image` of the latest batched forward pass into the single model, unless it holds it already. */
  private async load(batch: GpuModel, image: number): Promise<void> {
    if (this.loadedImage === image) return;
    await batch.copyImageInto(image, this.gpuModel);
    this.loadedImage = image;
  }

  /** Where a state's activations are: already in the single model, or an image of the crops model to copy over. */
  private async activationsOf(state: ForwardState): Promise<void> {
    this.checkLatest(state);
    if (state.image !== undefined) await this.load(await this.cropsModel(), state.image);
  }

  /**
   * Scores of many model-input tensors (CHW). With room for more than one image (scoringBatch) they run on a copy of
   * the model holding a batch of them per forward pass, which keeps only the output; else as GpuModel.scoreMany on
   * this one. Either way earlier forward states can no longer be backtracked afterwards.
   */
  async scoreMany(inputs: readonly Float32Array[]): Promise<Float32Array[]> {
    this.generation++;
    this.loadedImage = null;
    const batch = scoringBatch(this.gpuModel, inputs.length);
    if (batch <= 1) return this.gpuModel.scoreMany(inputs);
    return (await this.batchModel('scores', batch)).scoreMany(inputs);
  }

  private checkLatest(state: ForwardState): void {
    if (state.generation !== this.generation) {
      throw new Error('these activations were overwritten by a later forward pass; run forward() on the photo again');
    }
  }

  /** Explains `target` (default: the top-1 class) from the activations of `state`, which must be the latest forward. */
  async backtrack(state: ForwardState, rule: Rule = 'hysm', target?: number): Promise<Explanation> {
    await this.activationsOf(state);
    const prediction = target === undefined ? state.predictions[0] : this.prediction(target, state.probabilities);
    const { tree, backtrackMs } = await this.backtracker.run(prediction.classIndex, rule);
    const fixations = fixationPoints(tree.levels[tree.levels.length - 1]);
    return {
      predictions: state.predictions,
      target: prediction,
      rule,
      layers: tree.levels,
      fixations,
      fixationsInImage: fixationsInPhoto(fixations, state.geometry, state.photo),
      geometry: state.geometry,
      timings: { forwardMs: state.forwardMs, backtrackMs },
      generation: state.generation,
      image: state.image,
    };
  }

  /**
   * Grad-CAM of `target` at `layer` (default: the last spatial tensor, lastSpatialTensor in postprocess/coarse.ts)
   * from the activations of `state` (must be the latest forward; same check as backtrack()). Gradient of the
   * pre-softmax score (logit) of `target`. Another layer needs what its gradient reads kept: create the explainer
   * with `keep: gradientKeeps(model, layer)`.
   */
  async gradcam(state: ForwardState, target: number, layer?: string): Promise<LayerMap> {
    await this.activationsOf(state);
    this.prediction(target, state.probabilities);
    const tensor = layer ?? lastSpatialTensor(this.gpuModel.graph);
    if (!tensor) throw new Error(`${this.model.name} has no spatial tensor to make a Grad-CAM map at`);
    const keeps = gradientKeeps(this.model, tensor);
    const missing = keeps.filter((t) => !this.gpuModel.isKept(t));
    if (missing.length > 0) {
      throw new Error(
        `Grad-CAM at "${tensor}" reads tensors this explainer does not keep (${missing.join(', ')}); create it with keep: gradientKeeps(model, "${tensor}")`,
      );
    }
    let gradient = this.gradients.get(tensor);
    if (!gradient) {
      gradient = GpuGradient.create(this.gpuModel, [tensor]);
      this.gradients.set(tensor, gradient);
      gradient.catch(() => this.gradients.delete(tensor));
    }
    // The layer's gradient and activations come back in the gradient's one submit.
    const { gradients, activations } = await (await gradient).run(target, [tensor]);
    return gradcamMap(tensor, this.gpuModel.graph.shapes.get(tensor)!, activations.get(tensor)!, gradients.get(tensor)!);
  }

  /**
   * CAM (Zhou et al.) for heads "spatial tensor → global average pool → (flatten) → dense" and "spatial tensor →
   * linear 1×1 conv → global average pool" (Tiny Darknet): ReLU(Σ_c w_c · A_c) with the head's weights of `target`
   * (no bias). Throws an Error saying why for other heads.
   */
  async cam(state: ForwardState, target: number): Promise<LayerMap> {
    await this.activationsOf(state);
    this.prediction(target, state.probabilities);
    const head = camHead(this.model);
    if (typeof head === 'string') throw new Error(head);
    const activations = (await this.gpuModel.readActivations([head.tensor])).get(head.tensor)!;
    return weightedChannelSum(head.tensor, this.gpuModel.graph.shapes.get(head.tensor)!, activations, head.weights(target));
  }

  /** The coarse view (HYSM Fig. 2) of an explanation of the latest forward pass: reads one activation back. */
  async coarse(explanation: Explanation): Promise<CoarseCell | null> {
    if (explanation.generation !== this.generation) {
      throw new Error('this explanation\'s activations were overwritten by a later forward pass');
    }
    const level = lastSpatialLevel(explanation.layers);
    if (!level) return null;
    if (explanation.image !== undefined) await this.load(await this.cropsModel(), explanation.image);
    const values = (await this.gpuModel.readActivations([level.name])).get(level.name)!;
    return coarseCell(level, values, this.model.input, explanation.geometry);
  }

  /** One explanation per requested target (`target`, else each of the top `topK`, else the top-1), one forward pass. */
  async explainAll(photo: RgbaImage & MaybeShrunk, options: ExplainOptions = {}): Promise<Explanation[]> {
    const state = await this.forward(photo);
    const targets =
      options.target !== undefined
        ? [options.target]
        : topClasses(state.probabilities, options.topK ?? 1);
    const explanations: Explanation[] = [];
    for (const target of targets) explanations.push(await this.backtrack(state, options.rule, target));
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
    this.gradients.forEach((g) => g.then((gradient) => gradient.destroy(), () => {}));
    this.backtracker.destroy();
    this.batchModels.forEach((m) => m.then((model) => model.destroy(), () => {}));
    this.gpuModel.destroy();
  }
}

/**
 * How many images one batched scoring pass holds: up to maxScoringBatch and `count`, as many as fit
 * scoringActivationBudget with the single model's activations as the measure (an over-estimate: the scoring copy
 * keeps only its output) and every tensor within one binding.
 */
export function scoringBatch(gpuModel: GpuModel, count: number): number {
  const { budget } = gpuModel.context;
  const bindingLimit = Math.min(budget.maxStorageBufferBindingSize, budget.maxBufferSize);
  const largest = Math.max(...[...gpuModel.tensors.values()].map((t) => gpuTensorBytes(t.shape)));
  const byMemory = Math.floor(scoringActivationBudget / gpuModel.memory.peakBytes);
  return Math.max(1, Math.min(maxScoringBatch, count, byMemory, Math.floor(bindingLimit / largest)));
}

function topClasses(probabilities: Float64Array, k: number): number[] {
  return topPredictions(probabilities, [], k).map((p) => p.classIndex);
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
      // In a graph a node's parent lies in one of the tensors that read this one: parentTensors[parentTensor[i]].
      parentTensors: level.parentTensors,
      parentTensor: Array.from(level.parentTensor),
      parentCounts: Array.from(level.parentCounts),
      childCounts: Array.from(level.childCounts),
    })),
    fixations: e.fixations,
    fixationsInImage: e.fixationsInImage,
    ...(withTimings ? { timings: e.timings } : {}),
  };
}
