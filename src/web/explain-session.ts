import type { Rule } from '../ops/common/rules.ts';
import { Explainer, type Explanation, type ForwardState } from '../explain/explain.ts';
import { autotune, kernelChoicesFor, type Measurement, type TuningResult } from '../forward/autotune.ts';
import type { KernelChoices } from '../forward/gpu-model.ts';
import { browserKernelChoiceStore } from '../forward/kernel-choice-store-browser.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { Model } from '../graph/model.ts';
import type { ResizeFilter } from '../model/preprocess.ts';
import { AttentionMapper } from '../postprocess/attention-mapper.ts';
import { mapsForExplanation } from '../explain/explanation-maps.ts';
import { mapSize, type Maps } from '../postprocess/maps.ts';
import { defaultMapSettings, type MapSettings } from '../postprocess/settings.ts';
import type { Photo } from './decode-browser.ts';
import { camHead, type LayerMap } from '../explain/layer-map.ts';
import { layerMapToMethodMap, normaliseMinMax, photoMapToInput, seedOf } from '../explain/methods.ts';
import { endsInSoftmax } from '../explain/classify.ts';
import { probabilities } from '../explain/predictions.ts';
import { inputTensor } from '../graph/model.ts';
import { areaUnderCurve, blurChw, perturbedInputs, pixelOrder } from '../postprocess/faithfulness-metrics.ts';

/** One method's map for the page's compare view, or why the model has none. */
export interface CompareEntry {
  method: 'fixations' | 'gradcam' | 'cam';
  /** Min–max normalised to [0, 1] at width×height (the maps' size on screen), null with `reason`. */
  map: Float32Array | null;
  /** The same map in model-input pixels (letterbox fill −1): what the deletion curve orders pixels by. */
  input: Float32Array | null;
  width: number;
  height: number;
  /** Grad-CAM and CAM: the tensor they were taken at, and the map at its resolution. */
  layerMap?: LayerMap;
  reason?: string;
}

export interface CompareMaps {
  generation: number;
  target: number;
  rule: Rule;
  entries: CompareEntry[];
}

/** Deletion curves (RISE) of the compared methods for the current photo and class. */
export interface DeletionCurves {
  steps: number;
  target: number;
  curves: { method: CompareEntry['method']; probabilities: number[]; auc: number }[];
}

/**
 * How much of the pipeline a change invalidates, cheapest first: map settings re-run only the attention kernels, a
 * class or rule re-runs the backtracking on the kept activations, and only a new photo or model runs the network.
 */
export const Stage = { None: 0, Maps: 1, Backtrack: 2, Forward: 3 } as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

/** What a finished run changed. */
export interface SessionUpdate {
  forward: boolean;
  explanation: boolean;
  maps: boolean;
}

export interface SessionEvents {
  update(update: SessionUpdate): void;
  error(error: unknown): void;
  busy(what: string | null): void;
}

/** How often each stage ran: the page shows nothing of it, the tests check that sliders never re-run the network. */
export interface StageCounts {
  forward: number;
  backtrack: number;
  maps: number;
}

/**
 * The page's one owner of GPU work. Every change asks for a stage; requests made while a run is under way are
 * coalesced into one more run of the most expensive stage asked for, so dragging a slider never queues a backlog and
 * the GPU's error scopes never interleave. Other GPU work (model uploads, activation reads for the explorer's tooltip)
 * goes through `exclusive` and runs between stages.
 */
export class ExplainSession {
  explainer: Explainer | null = null;
  photo: Photo | null = null;
  forward: ForwardState | null = null;
  /** The photo the current forward pass ran on (a newer one may be waiting). */
  forwardPhoto: Photo | null = null;
  explanation: Explanation | null = null;
  maps: Maps | null = null;
  rule: Rule = 'hysm';
  /** The class to explain; null follows the top-1 prediction. */
  target: number | null = null;
  settings: MapSettings = { ...defaultMapSettings };
  lastMapsMs = 0;
  /**
   * The longest side of the picture on screen, in device pixels (the app measures it). The maps shown are made no
   * larger than that, nor finer than a quarter of sigma a map pixel (the Gaussian has no finer detail; the picture
   * upsamples them), so a slider step costs milliseconds on a GPU and well under a second on SwiftShader; a moving
   * slider gets at most `previewSide`. Exports ask for the photo's own size (`fullMaps`).
   */
  displaySide: () => number = () => Infinity;
  previewSide = 320;
  /** Steps of the page's deletion curves (RISE's default count, as `eval faithfulness --steps`). */
  deletionSteps = 32;
  readonly counts: StageCounts = { forward: 0, backtrack: 0, maps: 0 };

  private pending: Stage = Stage.None;
  private readonly jobs: (() => Promise<void>)[] = [];
  private running: Promise<void> | null = null;
  private activationCache = new Map<string, Float32Array>();
  private mapsQuality: 'preview' | 'display' = 'display';
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  /** What the current maps were made from, so a request for the same maps at the same size is skipped. */
  private mapsKey = '';

  private constructor(
    readonly context: GpuContext,
    private readonly mapper: AttentionMapper,
    private readonly events: SessionEvents,
  ) {}

  static async create(context: GpuContext, events: SessionEvents): Promise<ExplainSession> {
    return new ExplainSession(context, await AttentionMapper.create(context), events);
  }

  get model(): Model | null {
    return this.explainer?.model ?? null;
  }

  /** Uploads a model (replacing the current one) and explains the current photo with it. */
  setModel(model: Model, onUploadProgress?: (done: number, total: number) => void): Promise<void> {
    return this.exclusive(async () => {
      this.events.busy(`Uploading ${model.name} to the GPU`);
      this.explainer?.destroy();
      this.explainer = null;
      this.forward = null;
      this.explanation = null;
      this.maps = null;
      this.target = null;
      this.activationCache.clear();
      this.explainer = await Explainer.create(this.context, model, { onUploadProgress, kernels: this.kernelChoices });
      if (this.photo) this.request(Stage.Forward);
    });
  }

  /** This adapter's tuned kernel variants when it was tuned in this browser, else its class's defaults. */
  get kernelChoices(): KernelChoices {
    return kernelChoicesFor(this.context, browserKernelChoiceStore);
  }

  /** Times the kernel variants on this adapter, remembers the fastest, and re-uploads the model to use them. */
  async tune(onMeasurement?: (m: Measurement) => void): Promise<TuningResult> {
    const result = await this.exclusive(async () => {
      this.events.busy('Timing kernel variants on this GPU');
      return autotune(this.context, 3, onMeasurement);
    });
    browserKernelChoiceStore.save(result);
    const model = this.model;
    if (model) await this.setModel(model);
    return result;
  }

  /** Samples photos with another resize filter, and runs the network on the current photo again. */
  setResizeFilter(filter: ResizeFilter): Promise<void> {
    return this.exclusive(async () => {
      if (!this.explainer || this.explainer.model.preprocess.resizeFilter === filter) return;
      this.explainer.gpuModel.setResizeFilter(filter);
      if (this.photo) this.request(Stage.Forward);
    });
  }

  /** A new photo: runs the network. A live frame keeps the chosen class; any other photo goes back to the top-1. */
  setPhoto(photo: Photo, keepTarget = false): void {
    this.photo = photo;
    if (!keepTarget) this.target = null;
    this.request(Stage.Forward);
  }

  setRule(rule: Rule): void {
    if (rule === this.rule) return;
    this.rule = rule;
    this.request(Stage.Backtrack);
  }

  setTarget(classIndex: number | null): void {
    this.target = classIndex;
    this.request(Stage.Backtrack);
  }

  /** New map settings; `interactive` while a slider moves: a quick preview now, the screen's resolution when it rests. */
  setSettings(settings: MapSettings, interactive = false): void {
    this.settings = settings;
    this.mapsQuality = interactive ? 'preview' : 'display';
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    this.request(Stage.Maps);
    if (interactive) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = null;
        this.mapsQuality = 'display';
        this.request(Stage.Maps);
      }, 300);
    }
  }

  /** The maps at the photo's own resolution (for the PNG and JSON downloads): the current ones when they are. */
  fullMaps(): Promise<Maps | null> {
    return this.exclusive(async () => {
      const { explanation, forwardPhoto, maps } = this;
      if (!explanation || !forwardPhoto) return null;
      if (maps && maps.width === forwardPhoto.width && maps.height === forwardPhoto.height) return maps;
      return mapsForExplanation(this.mapper, explanation, forwardPhoto, this.settings);
    });
  }

  /**
   * Grad-CAM and CAM beside the fixations' heatmap for the current explanation, each min–max normalised to [0, 1] so
   * one colour scale reads all three. Reads the kept activations: no forward pass.
   */
  compareMaps(): Promise<CompareMaps | null> {
    return this.exclusive(() => this.computeCompare());
  }

  /**
   * The deletion curve of each compared map for the current photo and class: the model-input pixels blurred (RISE) in
   * order of the map in `steps` steps, the class's probability after each. The batched forward passes overwrite the
   * activations, so the photo's own forward pass and backtracking run again afterwards (same results).
   */
  deletionCurves(shown: CompareMaps | null = null, steps = this.deletionSteps): Promise<DeletionCurves | null> {
    return this.exclusive(async () => {
      // The maps on screen when they are of the current forward pass, class and rule; else made anew.
      const current = shown !== null && shown.generation === this.forward?.generation && shown.target === this.explanation?.target.classIndex && shown.rule === this.explanation?.rule;
      const compare = current ? shown : await this.computeCompare();
      const explainer = this.explainer;
      const forward = this.forward;
      const photo = this.forwardPhoto;
      if (!compare || !explainer || !forward || !photo) return null;
      this.events.busy('Deletion curves');
      const shape = explainer.model.input;
      const original = (await explainer.gpuModel.readActivations([inputTensor])).get(inputTensor)!;
      const blurred = blurChw(original, shape);
      const softmaxOut = endsInSoftmax(explainer.model);
      const p = (scores: Float32Array) => probabilities(scores, softmaxOut)[compare.target];
      const seed = seedOf(photo.name);
      const curves: DeletionCurves['curves'] = [];
      const [blurredScores, ...rest] = await explainer.scoreMany([
        blurred,
        ...compare.entries.flatMap((e) => (e.input ? perturbedInputs(original, blurred, shape, pixelOrder(e.input, seed), steps, 'deletion') : [])),
      ]);
      let at = 0;
      for (const entry of compare.entries) {
        if (!entry.input) continue;
        const curve = [forward.probabilities[compare.target], ...rest.slice(at, at + steps - 1).map(p), p(blurredScores)];
        at += steps - 1;
        curves.push({ method: entry.method, probabilities: curve, auc: areaUnderCurve(curve) });
      }
      this.request(Stage.Forward);
      return { steps, target: compare.target, curves };
    });
  }

  private async computeCompare(): Promise<CompareMaps | null> {
    const { explainer, explanation, forward, forwardPhoto, maps } = this;
    if (!explainer || !explanation || !forward || !forwardPhoto || !maps || forward.generation !== explanation.generation) return null;
    const model = explainer.model;
    const target = explanation.target.classIndex;
    const size = { width: maps.width, height: maps.height };
    const fixations = normaliseMinMax(Float32Array.from(maps.attention));
    const entries: CompareEntry[] = [
      {
        method: 'fixations',
        map: fixations,
        input: photoMapToInput(fixations, size.width, size.height, forward.geometry, model.input.width, model.input.height),
        ...size,
      },
    ];
    const layerEntry = async (method: 'gradcam' | 'cam', make: () => Promise<LayerMap>): Promise<CompareEntry> => {
      const layerMap = await make();
      const m = layerMapToMethodMap(method, layerMap, forward.geometry, model.input, size);
      return { method, map: m.photo, input: m.input, ...size, layerMap };
    };
    const unavailable = (method: 'gradcam' | 'cam', reason: string): CompareEntry => ({ method, map: null, input: null, ...size, reason });
    this.events.busy('Grad-CAM and CAM');
    try {
      entries.push(await layerEntry('gradcam', () => explainer.gradcam(forward, target)));
    } catch (error) {
      entries.push(unavailable('gradcam', (error as Error).message));
    }
    const head = camHead(model);
    entries.push(typeof head === 'string' ? unavailable('cam', head) : await layerEntry('cam', () => explainer.cam(forward, target)));
    return { generation: forward.generation, target, rule: explanation.rule, entries };
  }

  /** Resolves once nothing is running or waiting. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  get isBusy(): boolean {
    return this.running !== null;
  }

  /**
   * One activation of the forward pass the current explanation came from, read once and cached until the next
   * forward pass; null when a newer forward pass has overwritten it.
   */
  readActivation(tensor: string): Promise<Float32Array | null> {
    const cached = this.activationCache.get(tensor);
    if (cached) return Promise.resolve(cached);
    const generation = this.explanation?.generation;
    return this.exclusive(async () => {
      if (!this.explainer || generation === undefined || this.forward?.generation !== generation) return null;
      // Tensors only a same-node op reads (the logits before softmax) share buffers and are gone after the pass.
      if (!this.explainer.gpuModel.isKept(tensor)) return null;
      const values = (await this.explainer.gpuModel.readActivations([tensor])).get(tensor)!;
      this.activationCache.set(tensor, values);
      return values;
    });
  }

  /** Runs GPU work between stages, never during one. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(() => work().then(resolve, reject));
      this.start();
    });
  }

  request(stage: Stage): void {
    this.pending = Math.max(this.pending, stage) as Stage;
    this.start();
  }

  private start(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      this.events.busy(null);
    });
  }

  private async loop(): Promise<void> {
    for (;;) {
      const job = this.jobs.shift();
      if (job) {
        await job().catch(() => {});
        continue;
      }
      const stage = this.pending;
      if (stage === Stage.None) return;
      this.pending = Stage.None;
      try {
        await this.run(stage);
      } catch (error) {
        this.events.error(error);
      }
    }
  }

  private async run(stage: Stage): Promise<void> {
    const explainer = this.explainer;
    if (!explainer) return;
    const update: SessionUpdate = { forward: false, explanation: false, maps: false };
    if (stage >= Stage.Forward) {
      if (!this.photo) return;
      const photo = this.photo;
      this.events.busy('Running the network');
      this.forward = await explainer.forward(photo);
      this.forwardPhoto = photo;
      this.activationCache.clear();
      this.counts.forward++;
      update.forward = true;
    }
    if (!this.forward || !this.forwardPhoto) return;
    if (stage >= Stage.Backtrack) {
      this.events.busy('Backtracking');
      const classes = explainer.model.labels.length;
      if (this.target !== null && (this.target < 0 || this.target >= classes)) this.target = null;
      this.explanation = await explainer.backtrack(this.forward, this.rule, this.target ?? undefined);
      this.counts.backtrack++;
      update.explanation = true;
    }
    if (!this.explanation) return;
    const side = this.mapsSide(stage === Stage.Maps && this.mapsQuality === 'preview');
    const size = mapSize(this.forwardPhoto.width, this.forwardPhoto.height, side);
    const key = JSON.stringify([this.explanation.generation, this.explanation.rule, this.explanation.target.classIndex, this.settings, size]);
    if (stage === Stage.Maps && key === this.mapsKey && this.maps) return;
    this.events.busy('Computing the maps');
    const start = performance.now();
    this.maps = await mapsForExplanation(this.mapper, this.explanation, this.forwardPhoto, this.settings, side);
    this.mapsKey = key;
    this.lastMapsMs = performance.now() - start;
    this.counts.maps++;
    update.maps = true;
    this.events.update(update);
  }

  /** See `displaySide`. */
  private mapsSide(preview: boolean): number {
    const photo = this.forwardPhoto!;
    const longer = Math.max(photo.width, photo.height);
    const sigma = (this.settings.sigma * photo.width) / (photo.originalWidth ?? photo.width);
    const needed = sigma > 0 ? Math.ceil((4 * longer) / sigma) : longer;
    const side = Math.min(needed, this.displaySide());
    return preview ? Math.min(side, this.previewSide) : side;
  }

  destroy(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.explainer?.destroy();
    this.mapper.destroy();
  }
}
