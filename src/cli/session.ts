import { Explainer, explainerModelOptions } from '../explain/explain.ts';
import { kernelChoicesFor } from '../forward/autotune.ts';
import { GpuModel } from '../forward/gpu-model.ts';
import { nodeKernelChoiceStore } from '../forward/kernel-choice-store-node.ts';
import type { GpuContext } from '../gpu/context.ts';
import { createNodeGpuContext } from '../gpu/device-node.ts';
import { loadModelFile, type ModelFileOptions } from '../weights/load-model-node.ts';
import type { Model } from '../graph/model.ts';
import { gapHeadAsDense } from '../graph/gap-dense-head.ts';
import { UsageError } from './output-paths.ts';
import type { ResizeFilter } from '../model/preprocess.ts';
import { hasNumberedLabels } from '../labels/model-labels.ts';
import { preprocessFromFlags, type PreprocessFlagValues } from './preprocess-flags.ts';

/** The model options every command takes (see modelOptions in main.ts). */
export interface ModelOptions extends PreprocessFlagValues {
  model: string;
  arch?: ModelFileOptions['arch'];
  weights?: string;
  classNames?: string;
  /** Another resize filter than the model's origin uses (--resize-filter). */
  resizeFilter?: ResizeFilter;
  /**
   * `--gap-head dense`: a linear 1×1 conv → global average pool head (Tiny Darknet's) rewritten as the equal global
   * average pool → dense (gapHeadAsDense); `conv` keeps it as loaded.
   */
  gapHead?: 'dense' | 'conv';
}

export async function loadModelFromOptions(options: ModelOptions): Promise<Model> {
  const model = await loadModelFile(options.model, {
    arch: options.arch,
    weights: options.weights,
    labels: options.classNames,
    preprocess: preprocessFromFlags(options.model, options),
  });
  if (hasNumberedLabels(model.labels)) {
    console.error(`note: ${options.model} came without class names, so classes show as "class N"; pass --class-names <file> (one name per line, in output order; for darknet, names.txt or imagenet.shortnames.list beside the .cfg is found by itself)`);
  }
  let loaded = model;
  if (options.gapHead === 'dense') {
    const rewritten = gapHeadAsDense(model);
    if (!rewritten) throw new UsageError(`--gap-head dense: ${options.model} has no linear 1×1 convolution → global average pool head to rewrite; leave --gap-head out`);
    loaded = rewritten;
  }
  return options.resizeFilter ? { ...loaded, preprocess: { ...loaded.preprocess, resizeFilter: options.resizeFilter } } : loaded;
}

export interface Session {
  context: GpuContext;
  model: Model;
  gpuModel: GpuModel;
  loadMs: number;
  uploadMs: number;
}

/** Loads the model file, opens the GPU and uploads the weights: what every command starts with. */
export async function openSession(options: ModelOptions): Promise<Session> {
  const start = performance.now();
  const model = await loadModelFromOptions(options);
  const loaded = performance.now();
  const context = await createNodeGpuContext();
  const gpuModel = await GpuModel.create(context, model, explainerModelOptions(model, { kernels: kernelChoicesFor(context, nodeKernelChoiceStore()) }));
  return { context, model, gpuModel, loadMs: loaded - start, uploadMs: performance.now() - loaded };
}

/** The model, the GPU and an Explainer with this adapter's kernel choices (tuned ones when `fixations tune` ran). */
export async function openExplainer(options: ModelOptions): Promise<{ model: Model; context: GpuContext; explainer: Explainer }> {
  const { model, context, gpuModel } = await openSession(options);
  return { model, context, explainer: await Explainer.forModel(gpuModel) };
}

export function closeSession(session: Session): void {
  session.gpuModel.destroy();
  session.context.device.destroy();
}
