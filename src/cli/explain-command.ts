import { basename } from 'node:path';
import { jsonText } from '../explain/json-text.ts';
import { writeFileAtomic } from '../files/atomic-write-node.ts';
import type { Rule } from '../ops/common/rules.ts';
import { Explainer, explanationJson, type Explanation } from '../explain/explain.ts';
import { decodeImageFile } from '../image/decode-node.ts';
import { formatShape } from '../model/shapes.ts';
import { checkOutputFile, UsageError } from './output-paths.ts';
import { methodMap, methodName, methodRefusal, seedOf, thresholdMap, type MethodSpec } from '../explain/methods.ts';
import { AttentionMapper } from '../postprocess/attention-mapper.ts';
import { largestRegionBox } from '../postprocess/geometry.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { describePreprocess } from '../model/preprocess.ts';
import { counted } from '../explain/plural.ts';
import { openExplainer, type ModelOptions } from './session.ts';

export interface ExplainCommandOptions extends ModelOptions {
  rule: Rule;
  class?: number;
  topK?: number;
  json?: string;
  timings: boolean;
  /** Also time every layer on the GPU, forward and backtracking. */
  profile?: boolean;
  /** Another method than the fixations of `rule`. */
  method?: MethodSpec;
  settings: MapSettings;
}

/** `explain --method gradcam|cam|centre|random` on one photo: the map's layer, peak, box and (with --json) all of it. */
async function explainWithMethod(image: string, options: ExplainCommandOptions, method: MethodSpec): Promise<void> {
  if (options.json) await checkOutputFile(options.json, '--json');
  const { model, context, explainer } = await openExplainer(options);
  const mapper = await AttentionMapper.create(context);
  try {
    const refusal = methodRefusal(method, model);
    if (refusal) throw new UsageError(refusal);
    const photo = await decodeImageFile(image);
    const state = await explainer.forward(photo);
    const target = options.class ?? state.predictions[0].classIndex;
    const map = await methodMap(method, { explainer, mapper, settings: options.settings, state, photo, target, seed: seedOf(basename(image)) });
    let peak = 0;
    for (let i = 1; i < map.photo.length; i++) if (map.photo[i] > map.photo[peak]) peak = i;
    const box = largestRegionBox(thresholdMap(map.photo, options.settings.threshold), photo.width, photo.height);
    console.log(`${image} (${photo.originalWidth}×${photo.originalHeight}) with ${model.name} on ${context.adapter.name}`);
    console.log(`  preprocessing: ${describePreprocess(model.preprocess)}`);
    state.predictions.forEach((p, i) => console.log(`  ${i + 1}. ${(p.probability * 100).toFixed(2).padStart(6)}%  ${p.label}  [${p.classIndex}]`));
    console.log(`\nclass ${target} "${model.labels[target]}", method ${methodName(method)}${map.layer ? ` at ${map.layer}` : ''}`);
    console.log(`  peak at photo pixel (${peak % map.width}, ${Math.floor(peak / map.width)}) of ${map.width}×${map.height}; box of the thresholded map ${box ? `(${box.x0}, ${box.y0})–(${box.x1}, ${box.y1})` : 'none'}`);
    if (options.json) {
      const body = {
        image: { file: image, width: photo.originalWidth, height: photo.originalHeight },
        model: model.name,
        preprocess: model.preprocess,
        method: methodName(method),
        target: { classIndex: target, label: model.labels[target], probability: state.probabilities[target] },
        predictions: state.predictions,
        ...(map.layer ? { layer: map.layer } : {}),
        peak: [peak % map.width, Math.floor(peak / map.width)],
        box,
        map: { width: map.width, height: map.height, normalisation: 'min–max to [0, 1]', values: Array.from(map.photo, (v) => Number(v.toFixed(4))) },
      };
      await writeFileAtomic(options.json, jsonText(body));
      console.log(`\nwrote ${options.json}`);
    }
  } finally {
    mapper.destroy();
    explainer.destroy();
    context.device.destroy();
  }
}

/** GPU milliseconds per layer name: the forward pass of the layer and the backtracking through it. */
interface LayerTimes {
  method: string;
  forward: Map<string, number>;
  backtrack: Map<string, number>;
}

function printExplanation(e: Explanation, times?: LayerTimes): void {
  const t = e.target;
  console.log(`\nclass ${t.classIndex} "${t.label}" (${(t.probability * 100).toFixed(2)}%), rule ${e.rule}`);
  const nameWidth = Math.max(...e.layers.map((l) => l.name.length), 5);
  const timeColumns = times ? `  ${'forward ms'.padStart(10)}  ${'backtrack ms'.padStart(12)}` : '';
  console.log(`  ${'layer'.padEnd(nameWidth)}  ${'shape'.padEnd(12)}  ${'nodes'.padStart(6)}${timeColumns}`);
  // A level is a layer's output; backtracking through that layer selects the level below it.
  for (const level of e.layers) {
    const f = times?.forward.get(level.name);
    const b = times?.backtrack.get(level.name);
    const cells = times ? `  ${(f === undefined ? '' : f.toFixed(1)).padStart(10)}  ${(b === undefined ? '' : b.toFixed(1)).padStart(12)}` : '';
    console.log(`  ${level.name.padEnd(nameWidth)}  ${formatShape(level.shape).padEnd(12)}  ${String(level.nodes.length).padStart(6)}${cells}`);
  }
  if (times) console.log(`  (per-layer GPU times by ${times.method})`);
  console.log(`  ${counted(e.fixations.length, 'fixation')} in the model input, ${e.fixationsInImage.length} in the photo`);
  if (e.fixations.length === 0) {
    console.log(`  (no node of class ${t.classIndex} had positive evidence under this rule; try --rule official)`);
  }
  console.log(`  forward ${e.timings.forwardMs.toFixed(0)} ms, backtrack ${e.timings.backtrackMs.toFixed(0)} ms`);
}

export async function explainCommand(image: string, options: ExplainCommandOptions): Promise<void> {
  if (options.method && options.method.kind !== 'fixations') return explainWithMethod(image, options, options.method);
  if (options.json) await checkOutputFile(options.json, '--json');
  const { model, context, explainer } = await openExplainer(options);
  try {
    const photo = await decodeImageFile(image);
    const explanations = await explainer.explainAll(photo, { rule: options.rule, target: options.class, topK: options.topK });
    let times: LayerTimes | undefined;
    if (options.profile) {
      // Profiling replays the layers on the photo's activations, which explainAll left on the GPU.
      const forward = await explainer.gpuModel.profileLayers();
      const backtrack = await explainer.backtracker.profileLayers(explanations[explanations.length - 1].target.classIndex, options.rule);
      const byLayer = (ms: number[], names: string[]) => new Map(names.map((n, i) => [n, ms[i]]));
      times = {
        method: forward.method,
        forward: byLayer(forward.ms, model.nodes.map((n) => n.name)),
        backtrack: byLayer(backtrack.ms, backtrack.labels),
      };
    }
    console.log(`${image} (${photo.originalWidth}×${photo.originalHeight}) with ${model.name} on ${context.adapter.name}`);
    console.log(`  preprocessing: ${describePreprocess(model.preprocess)}`);
    explanations[0].predictions.forEach((p, i) => {
      console.log(`  ${i + 1}. ${(p.probability * 100).toFixed(2).padStart(6)}%  ${p.label}  [${p.classIndex}]`);
    });
    explanations.forEach((e, i) => printExplanation(e, i === explanations.length - 1 ? times : undefined));
    if (options.json) {
      const image_ = { file: image, width: photo.originalWidth, height: photo.originalHeight };
      const body =
        options.topK !== undefined
          ? { image: image_, model: model.name, preprocess: model.preprocess, predictions: explanations[0].predictions, explanations: explanations.map((e) => explanationJson(e, options.timings)) }
          : { image: image_, model: model.name, preprocess: model.preprocess, ...explanationJson(explanations[0], options.timings) };
      await writeFileAtomic(options.json, jsonText(body));
      console.log(`\nwrote ${options.json}`);
    }
  } finally {
    explainer.destroy();
    context.device.destroy();
  }
}
