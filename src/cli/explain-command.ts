import { jsonText } from '../json-text.ts';
import { writeFile } from 'node:fs/promises';
import type { Rule } from '../backtrack/rules.ts';
import { Explainer, explanationJson, type Explanation } from '../explain.ts';
import { decodeImageFile } from '../image/decode-node.ts';
import { formatShape } from '../model/shapes.ts';
import { openExplainer, type ModelOptions } from './session.ts';

export interface ExplainCommandOptions extends ModelOptions {
  rule: Rule;
  class?: number;
  topK?: number;
  json?: string;
  timings: boolean;
}

function printExplanation(e: Explanation): void {
  const t = e.target;
  console.log(`\nclass ${t.classIndex} "${t.label}" (${(t.probability * 100).toFixed(2)}%), rule ${e.rule}`);
  const nameWidth = Math.max(...e.layers.map((l) => l.name.length), 5);
  console.log(`  ${'layer'.padEnd(nameWidth)}  ${'shape'.padEnd(12)}  nodes`);
  for (const level of e.layers) {
    console.log(`  ${level.name.padEnd(nameWidth)}  ${formatShape(level.shape).padEnd(12)}  ${level.nodes.length}`);
  }
  console.log(`  ${e.fixations.length} fixations in the model input, ${e.fixationsInImage.length} in the photo`);
  if (e.fixations.length === 0) {
    console.log(`  (no node of class ${t.classIndex} had positive evidence under this rule; try --rule official)`);
  }
  console.log(`  forward ${e.timings.forwardMs.toFixed(0)} ms, backtrack ${e.timings.backtrackMs.toFixed(0)} ms`);
}

export async function explainCommand(image: string, options: ExplainCommandOptions): Promise<void> {
  const { model, context, explainer } = await openExplainer(options);
  try {
    const photo = await decodeImageFile(image);
    const explanations = await explainer.explainAll(photo, { rule: options.rule, target: options.class, topK: options.topK });
    console.log(`${image} (${photo.originalWidth}×${photo.originalHeight}) with ${model.name} on ${context.adapter.name}`);
    explanations[0].predictions.forEach((p, i) => {
      console.log(`  ${i + 1}. ${(p.probability * 100).toFixed(2).padStart(6)}%  ${p.label}  [${p.classIndex}]`);
    });
    explanations.forEach(printExplanation);
    if (options.json) {
      const image_ = { file: image, width: photo.originalWidth, height: photo.originalHeight };
      const body =
        options.topK !== undefined
          ? { image: image_, model: model.name, predictions: explanations[0].predictions, explanations: explanations.map((e) => explanationJson(e, options.timings)) }
          : { image: image_, model: model.name, ...explanationJson(explanations[0], options.timings) };
      await writeFile(options.json, jsonText(body));
      console.log(`\nwrote ${options.json}`);
    }
  } finally {
    explainer.destroy();
    context.device.destroy();
  }
}
