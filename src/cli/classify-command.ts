import { jsonText } from '../explain/json-text.ts';
import { writeFileAtomic } from '../files/atomic-write-node.ts';
import { classify } from '../explain/classify.ts';
import { decodeImageFile } from '../image/decode-node.ts';
import { checkOutputFile } from './output-paths.ts';
import { closeSession, openSession, type ModelOptions } from './session.ts';
import { describePreprocess } from '../model/preprocess.ts';
import { counted } from '../explain/plural.ts';

export interface ClassifyOptions extends ModelOptions {
  top: number;
  json?: string;
}

export async function classifyCommand(images: string[], options: ClassifyOptions): Promise<void> {
  if (options.json) await checkOutputFile(options.json, '--json');
  const session = await openSession(options);
  const { model, context } = session;
  console.log(
    `${model.name}: ${model.input.width}×${model.input.height}, ${counted(model.labels.length, 'class')} ` +
      `on ${context.adapter.name} (load ${session.loadMs.toFixed(0)} ms, upload ${session.uploadMs.toFixed(0)} ms)\n` +
      `  preprocessing: ${describePreprocess(model.preprocess)}`,
  );
  const results = [];
  try {
    for (const path of images) {
      const photo = await decodeImageFile(path);
      const result = await classify(session.gpuModel, photo, options.top);
      console.log(`\n${path} (${photo.originalWidth}×${photo.originalHeight}, forward ${result.forwardMs.toFixed(0)} ms)`);
      result.predictions.forEach((p, i) => {
        console.log(`  ${i + 1}. ${(p.probability * 100).toFixed(2).padStart(6)}%  ${p.label}  [${p.classIndex}]`);
      });
      results.push({ image: path, width: photo.originalWidth, height: photo.originalHeight, predictions: result.predictions, forwardMs: result.forwardMs });
    }
  } finally {
    closeSession(session);
  }
  if (options.json) {
    await writeFileAtomic(options.json, jsonText({ model: model.name, preprocess: model.preprocess, adapter: context.adapter.name, results }));
    console.log(`\nwrote ${options.json}`);
  }
}
