import type { MapSettings } from '../postprocess/settings.ts';
import type { LocalizationEvalResult } from './localization-eval.ts';
import type { SaliencyEvalResult } from './saliency-eval.ts';

const f3 = (v: number) => v.toFixed(3);

export function parametersTable(parameters: Record<string, unknown>, settings: MapSettings): string {
  const rows = Object.entries({ ...parameters, ...settings }).map(([k, v]) => `| ${k} | ${String(v)} |`);
  return ['| parameter | value |', '| --- | --- |', ...rows].join('\n');
}

export function saliencyTable(result: SaliencyEvalResult): string {
  const m = result.mean;
  return [
    '| photos | accuracy | precision | recall | F1 | F (β²=0.3) | IoU | MAE | max-F (β²=0.3) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${result.images.length} | ${f3(m.accuracy)} | ${f3(m.precision)} | ${f3(m.recall)} | ${f3(m.f1)} | ${f3(m.fBeta)} | ${f3(m.iou)} | ${f3(m.mae)} | ${f3(result.maxF.f)} at ${f3(result.maxF.threshold)} |`,
  ].join('\n');
}

export function localizationTable(result: LocalizationEvalResult): string {
  return [
    '| photos | top-1 classification error | top-1 localization error | GT-known localization accuracy |',
    '| ---: | ---: | ---: | ---: |',
    `| ${result.images.length} | ${f3(result.top1ClassificationError)} | ${f3(result.top1LocalizationError)} | ${f3(result.gtKnownLocalizationAccuracy)} |`,
  ].join('\n');
}
