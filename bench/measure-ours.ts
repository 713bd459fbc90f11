/**
 * The measurements of our own kernels on one GPU context, the same in Node and in the browser page: cold start,
 * forward, both backtracking rules, the whole explain, per-layer GPU times and peak GPU memory of one model; and
 * forward time against input size.
 */
import { rules, type Rule } from '../src/ops/common/rules.ts';
import { planBacktracking } from '../src/backtrack/planner.ts';
import type { FixationTree } from '../src/backtrack/tree.ts';
import { endsInSoftmax } from '../src/explain/classify.ts';
import { Explainer, explainerModelOptions } from '../src/explain/explain.ts';
import { GpuModel, type KernelChoices } from '../src/forward/gpu-model.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import { graphOf, parameterCount, type Model } from '../src/graph/model.ts';

import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { probabilities, topPredictions } from '../src/explain/predictions.ts';
import type { BacktrackStats, LayerTimes, OursModelResult, ScalingPoint, SweepPoint } from './report-types.ts';
import type { Stats } from './stats.ts';
import { median, timeOnce, timeRepeated } from './stats.ts';
import { vggPhoto, type PreparedSubject } from './subjects.ts';
import { logitsTensor } from './peers/logits.ts';

export interface OursSettings {
  /** The kernels to run: the adapter's cached tuning, else its class's defaults (as the CLI and the page do). */
  kernels: KernelChoices;
  warmup: number;
  runs: number;
  /** Backtracking time for several target classes (memory vectors of different sizes). */
  sweep: boolean;
  log: (line: string) => void;
}

export { parameterCount };

export { logitsTensor };

function treeNodes(tree: FixationTree): { nodes: number; levels: { name: string; nodes: number }[] } {
  const levels = tree.levels.map((l) => ({ name: l.name, nodes: l.nodes.length }));
  return { nodes: levels.reduce((sum, l) => sum + l.nodes, 0), levels };
}

function layerTimes(profile: { method: LayerTimes['method']; ms: number[] }, names: string[]): LayerTimes {
  return { method: profile.method, layers: profile.ms.map((ms, i) => ({ name: names[i], ms })) };
}

/** Class indices for the backtracking sweep: the top 5 and three seeded others, each once. */
function sweepTargets(probs: ArrayLike<number>, labels: string[]): number[] {
  const targets = topPredictions(probs, labels, 5).map((p) => p.classIndex);
  const random = seededRandom(7);
  for (let tries = 0; targets.length < Math.min(8, probs.length) && tries < 100; tries++) {
    const c = Math.floor(random() * probs.length);
    if (!targets.includes(c)) targets.push(c);
  }
  return targets;
}

/** Images of the batched measurement: multi-crop's five crops. */
const batchedInputs = 5;

/**
 * Every measurement of one model. Returns the logits of our forward on `subject.input` too: the peers are checked
 * against them.
 */
export async function measureOurs(
  context: GpuContext,
  subject: PreparedSubject,
  settings: OursSettings,
): Promise<{ result: OursModelResult; logits: Float32Array }> {
  const { model, input, photo } = subject;
  const { log } = settings;
  const repeat = { warmup: settings.warmup, runs: settings.runs };
  // Peak memory of this model alone: count from what is alive now (earlier models are destroyed).
  const baseline = context.memory.live;
  context.memory.peak = baseline;

  log(`${subject.label}: uploading weights and compiling pipelines`);
  const created = await timeOnce(() => GpuModel.create(context, model, explainerModelOptions(model, { kernels: settings.kernels, keep: [logitsTensor(model)] })));
  const gpuModel = created.value;
  let explainer: Explainer | null = null;
  try {
    const firstForward = await timeOnce(() => gpuModel.runTensor(input));
    log(`${subject.label}: first result after ${Math.round(created.ms + firstForward.ms)} ms; timing the forward`);
    let scores = firstForward.value.scores;
    const forward = await timeRepeated(async () => (scores = (await gpuModel.runTensor(input)).scores), {
      ...repeat,
      onRun: (i, ms, warm) => log(`${subject.label}: forward ${warm ? 'warm-up' : `run ${i - repeat.warmup + 1}`}: ${Math.round(ms)} ms`),
    });
    const logits = (await gpuModel.readActivations([logitsTensor(model)])).get(logitsTensor(model))!;
    // A batch dimension (GpuModel.withBatch): `batchedInputs` images in one forward pass, dense layers reading their
    // weights once for all, as multi-crop and the faithfulness metrics run them; the time of the whole pass, and each
    // image's scores against the single pass (dense over a batch sums in another order: not bit for bit).
    log(`${subject.label}: timing a forward pass over a batch of ${batchedInputs}`);
    const batch = Array.from({ length: batchedInputs }, () => input);
    // The batched copy's memory is its own line: the model's peak is counted without it.
    const [peakBefore, liveBefore] = [context.memory.peak, context.memory.live];
    const batchedModel = await gpuModel.withBatch(batchedInputs, 'output');
    let batchedScores: Float32Array[] = [];
    let batchedStats: Stats;
    let batchedPeak = 0;
    try {
      batchedStats = await timeRepeated(async () => (batchedScores = await batchedModel.scoreMany(batch)), {
        warmup: Math.max(1, Math.min(repeat.warmup, 1)),
        runs: Math.max(1, Math.min(3, repeat.runs)),
      });
      batchedPeak = context.memory.peak - liveBefore;
    } finally {
      batchedModel.destroy();
      context.memory.peak = peakBefore;
    }
    const scale = Math.max(...scores.map(Math.abs), 1e-30);
    const batchedError = Math.max(...batchedScores.map((s) => Math.max(...s.map((v, i) => Math.abs(v - scores[i]) / scale))));
    const probs = probabilities(scores, endsInSoftmax(model));
    const top1 = topPredictions(probs, model.labels, 1)[0];
    const forwardProfile = await gpuModel.profileLayers();

    log(`${subject.label}: backtracking from class ${top1.classIndex}`);
    const setup = await timeOnce(() => Explainer.forModel(gpuModel));
    explainer = setup.value;
    const { backtracker } = explainer;
    const firstBacktrack = await timeOnce(() => backtracker.run(top1.classIndex, 'hysm'));
    const backtrack = {} as Record<Rule, BacktrackStats>;
    const backtrackProfiles = {} as Record<Rule, LayerTimes>;
    for (const rule of rules) {
      let tree = firstBacktrack.value.tree;
      const stats = await timeRepeated(async () => (tree = (await backtracker.run(top1.classIndex, rule)).tree), repeat);
      backtrack[rule] = { ...stats, rule, target: top1.classIndex, ...treeNodes(tree) };
      const profile = await backtracker.profileLayers(top1.classIndex, rule);
      backtrackProfiles[rule] = layerTimes(profile, backtrackLayerNames(model, rule));
    }

    const targetSweep: SweepPoint[] = [];
    if (settings.sweep) {
      log(`${subject.label}: backtracking sweep over target classes`);
      const sweepRuns = Math.max(1, Math.min(3, settings.runs));
      for (const target of sweepTargets(probs, model.labels)) {
        for (const rule of rules) {
          const runsMs: number[] = [];
          let nodes = 0;
          for (let i = 0; i < sweepRuns; i++) {
            const { ms, value } = await timeOnce(() => backtracker.run(target, rule));
            runsMs.push(ms);
            nodes = treeNodes(value.tree).nodes;
          }
          targetSweep.push({ target, rule, nodes, medianMs: median(runsMs), runsMs });
        }
      }
    }

    log(`${subject.label}: timing the whole explain`);
    let fixations = 0;
    const explain = await timeRepeated(async () => (fixations = (await explainer!.explain(photo, { rule: 'hysm' })).fixations.length), repeat);

    const result: OursModelResult = {
      subject: subject.name,
      label: subject.label,
      photo: subject.photoName,
      input: [model.input.channels, model.input.height, model.input.width],
      parameters: parameterCount(model),
      firstResult: { totalMs: created.ms + firstForward.ms, createMs: created.ms, firstForwardMs: firstForward.ms },
      forward,
      batched: { inputs: batchedInputs, ...batchedStats, perForwardMs: batchedStats.medianMs / batchedInputs, maxRelativeError: batchedError, peakMemoryBytes: batchedPeak },
      top1,
      backtrack: { setupMs: setup.ms, firstResultMs: setup.ms + firstBacktrack.ms, ...backtrack },
      explain: { ...explain, rule: 'hysm', fixations },
      perLayer: {
        forward: layerTimes(forwardProfile, model.nodes.map((l) => l.name)),
        backtrack: backtrackProfiles,
      },
      targetSweep,
      peakMemoryBytes: context.memory.peak - baseline,
    };
    return { result, logits };
  } finally {
    if (explainer) explainer.destroy();
    else gpuModel.destroy();
  }
}

/** Names of the nodes the backtracker times, in its order: from the class down, nodes that share a vector skipped. */
export function backtrackLayerNames(model: Model, _rule: Rule): string[] {
  const plan = planBacktracking(model, graphOf(model));
  const names = plan.levels.filter((l) => l.consumers.length > 0 && !l.sharesWith).flatMap((l) => l.consumers.map((c) => c.node.name));
  return [...new Set(names)];
}

/** A VGG19 at input side `size` with random weights, fed a synthetic photo through its preprocessing. */
export function scalingSubject(size: number, seed: number): { model: Model; input: Float32Array } {
  const model = randomModel(vggArchitecture(19, { inputSize: size }), seed);
  return { model, input: preprocessReference(vggPhoto(size, seed), model.preprocess) };
}

/** Forward and backtracking of VGG19 at one input side; a failure (limits, memory) is the result, not an exception. */
export async function measureScalingPoint(context: GpuContext, size: number, seed: number, settings: OursSettings): Promise<ScalingPoint> {
  const { log } = settings;
  const repeat = { warmup: Math.min(settings.warmup, 1), runs: Math.max(1, Math.min(3, settings.runs)) };
  let gpuModel: GpuModel | null = null;
  let explainer: Explainer | null = null;
  try {
    log(`scaling: VGG19 at ${size}×${size}: generating weights`);
    const { model, input } = scalingSubject(size, seed);
    const baseline = context.memory.live;
    context.memory.peak = baseline;
    const created = await timeOnce(() => GpuModel.create(context, model, explainerModelOptions(model, { kernels: settings.kernels })));
    const onGpu = created.value;
    gpuModel = onGpu;
    const first = await timeOnce(() => onGpu.runTensor(input));
    let scores = first.value.scores;
    const forward = await timeRepeated(async () => (scores = (await onGpu.runTensor(input)).scores), repeat);
    const top1 = topPredictions(probabilities(scores, true), model.labels, 1)[0].classIndex;
    explainer = await Explainer.forModel(gpuModel);
    const backtracker = explainer.backtracker;
    const backtrack = {} as Record<Rule, { medianMs: number; nodes: number }>;
    for (const rule of rules) {
      let tree = (await backtracker.run(top1, rule)).tree;
      const stats = await timeRepeated(async () => (tree = (await backtracker.run(top1, rule)).tree), { warmup: 0, runs: repeat.runs });
      backtrack[rule] = { medianMs: stats.medianMs, nodes: treeNodes(tree).nodes };
    }
    log(`scaling: VGG19 at ${size}×${size}: forward ${Math.round(forward.medianMs)} ms`);
    return {
      inputSize: size,
      status: 'ok',
      parameters: parameterCount(model),
      firstResultMs: created.ms + first.ms,
      forward,
      backtrack,
      peakMemoryBytes: context.memory.peak - baseline,
    };
  } catch (error) {
    log(`scaling: VGG19 at ${size}×${size} failed: ${(error as Error).message}`);
    return { inputSize: size, status: 'failed', error: (error as Error).message };
  } finally {
    if (explainer) explainer.destroy();
    else gpuModel?.destroy();
  }
}
