import type { Explainer } from '../explain/explain.ts';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../files/atomic-write-node.ts';
import { dirname, extname, join } from 'node:path';
import type { Rule } from '../ops/common/rules.ts';
import { wnidsFromText } from '../datasets/imagenet-val.ts';
import { evaluateLocalization } from '../eval/localization-eval.ts';
import { localizationTable, parametersTable, saliencyTable } from '../eval/report.ts';
import { evaluateSaliency, type SaliencyEvalOptions } from '../eval/saliency-eval.ts';
import { jsonText } from '../explain/json-text.ts';
import type { Model } from '../graph/model.ts';
import { describePreprocess } from '../model/preprocess.ts';
import { AttentionMapper } from '../postprocess/attention-mapper.ts';
import type { MapSettings } from '../postprocess/settings.ts';
import { checkOutputFile, UsageError } from './output-paths.ts';
import { progressReporter } from './progress.ts';
import { openExplainer, type ModelOptions } from './session.ts';

export interface EvalOptions extends ModelOptions {
  rule: Rule;
  settings: MapSettings;
  multiCrop: boolean;
  limit?: number;
  json?: string;
}

async function withExplainer<T>(options: EvalOptions, run: (explainer: Explainer, mapper: AttentionMapper, model: Model, adapter: string) => Promise<T>): Promise<T> {
  if (options.json) await checkOutputFile(options.json, '--json');
  const { model, context, explainer } = await openExplainer(options);
  const mapper = await AttentionMapper.create(context);
  try {
    return await run(explainer, mapper, model, context.adapter.name);
  } finally {
    mapper.destroy();
    explainer.destroy();
    context.device.destroy();
  }
}

/** A progress reporter that starts when the evaluation says how many photos there are. */
function lazyProgress(): { tick(file: string, done: number, total: number): void; stop(): void } {
  let reporter: ReturnType<typeof progressReporter> | null = null;
  return {
    tick(file, _done, total) {
      reporter ??= progressReporter(total);
      reporter.tick(file);
    },
    stop: () => reporter?.stop(),
  };
}

function printReport(title: string, parameters: Record<string, unknown>, settings: MapSettings, table: string, failed: { file: string; error: string }[]): void {
  console.log(`\n## ${title}\n\n${parametersTable(parameters, settings)}\n\n${table}\n`);
  for (const f of failed) console.log(`failed: ${f.file}: ${f.error}`);
}

export async function evalSaliencyCommand(options: EvalOptions & { images: string; masks: string; transposedPhotos: SaliencyEvalOptions['transposedPhotos'] }): Promise<void> {
  await withExplainer(options, async (explainer, mapper, model, adapter) => {
    const progress = lazyProgress();
    const result = await evaluateSaliency(explainer, mapper, { ...options, onImage: progress.tick });
    progress.stop();
    const rotated = result.images.filter((r) => r.rotated !== 0).length;
    const parameters = {
      model: model.name,
      preprocessing: describePreprocess(model.preprocess),
      adapter,
      rule: options.rule,
      'multi-crop': options.multiCrop,
      images: options.images,
      masks: options.masks,
      'photos stored on their side': `${rotated} turned upright (${options.transposedPhotos})`,
    };
    printReport('Saliency (How you see me, Table I protocol)', parameters, options.settings, saliencyTable(result), result.failed);
    if (options.json) await writeFileAtomic(options.json, jsonText({ parameters, preprocess: model.preprocess, settings: options.settings, ...result }));
  });
}

/** The model's classes as wnids: --wnids, else darknet's wnids.txt beside the cfg, else synsets.txt beside labels.csv. */
function modelWnids(model: Model, modelPath: string, labels: string, explicit?: string): string[] {
  const candidates = [explicit, extname(modelPath) === '.cfg' ? join(dirname(modelPath), 'wnids.txt') : undefined, join(dirname(labels), 'synsets.txt')];
  const file = candidates.find((c): c is string => c !== undefined && existsSync(c));
  if (!file) throw new UsageError('cannot map the model\'s classes to wnids: pass --wnids <file> (one wnid per line, in the model\'s output order)');
  const wnids = wnidsFromText(readFileSync(file, 'utf8')).map((line) => line.split(/\s+/)[0]);
  if (wnids.length !== model.labels.length) throw new UsageError(`${file} lists ${wnids.length} wnids for ${model.labels.length} classes`);
  return wnids;
}

export async function evalLocalizationCommand(options: EvalOptions & { images: string; labels: string; wnids?: string }): Promise<void> {
  await withExplainer(options, async (explainer, mapper, model, adapter) => {
    const wnids = modelWnids(model, options.model, options.labels, options.wnids);
    const progress = lazyProgress();
    const result = await evaluateLocalization(explainer, mapper, { ...options, wnids, onImage: progress.tick });
    progress.stop();
    const parameters = { model: model.name, preprocessing: describePreprocess(model.preprocess), adapter, rule: options.rule, 'multi-crop': options.multiCrop, images: options.images, labels: options.labels, 'IoU needed': 0.5 };
    printReport('Weakly supervised localization (CNN Fixations protocol)', parameters, options.settings, localizationTable(result), result.failed);
    if (options.json) await writeFileAtomic(options.json, jsonText({ parameters, preprocess: model.preprocess, settings: options.settings, ...result }));
  });
}
