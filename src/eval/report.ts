import type { MapSettings } from '../postprocess/settings.ts';
import type { LocalizationEvalResult } from './localization-eval.ts';
import type { SaliencyEvalResult } from './saliency-eval.ts';
import type { FaithfulnessResult } from './faithfulness.ts';

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

const f3OrNa = (v: number | null) => (v === null ? 'n/a' : f3(v));

/**
 * One row per method: deletion AUC (lower is better), insertion AUC (higher), pointing games (higher), and the sanity
 * check's ρ after the last cascade step and its mean over steps (lower: the map depends on the weights).
 */
export function faithfulnessTable(result: FaithfulnessResult): string {
  const rows = Object.entries(result.methods).map(([name, m]) => {
    const rhos = result.sanityLayers.map((l) => m.sanity[l]).filter((v): v is number => v !== null);
    const last = result.sanityLayers.length > 0 ? m.sanity[result.sanityLayers[result.sanityLayers.length - 1]] : null;
    const meanRho = rhos.length > 0 ? rhos.reduce((a, b) => a + b, 0) / rhos.length : null;
    return `| ${name} | ${f3(m.deletionAuc)} | ${f3(m.insertionAuc)} | ${f3OrNa(m.pointingGame)} | ${f3OrNa(m.energyPointingGame)} | ${f3OrNa(meanRho)} | ${f3OrNa(last)} |`;
  });
  return [
    `| method (${result.photos.length} photos) | deletion AUC ↓ | insertion AUC ↑ | pointing game ↑ | energy pointing game ↑ | sanity ρ, mean over steps ↓ | sanity ρ, all layers random ↓ |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/** Saliency rows, one per method (the same columns as saliencyTable). */
export function saliencyMethodsTable(results: [string, SaliencyEvalResult][]): string {
  return [
    '| method | photos | accuracy | precision | recall | F1 | F (β²=0.3) | IoU | MAE | max-F (β²=0.3) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(([name, r]) => {
      const m = r.mean;
      return `| ${name} | ${r.images.length} | ${f3(m.accuracy)} | ${f3(m.precision)} | ${f3(m.recall)} | ${f3(m.f1)} | ${f3(m.fBeta)} | ${f3(m.iou)} | ${f3(m.mae)} | ${f3(r.maxF.f)} at ${f3(r.maxF.threshold)} |`;
    }),
  ].join('\n');
}

/** Localization rows, one per method (the same columns as localizationTable). */
export function localizationMethodsTable(results: [string, LocalizationEvalResult][]): string {
  return [
    '| method | photos | top-1 classification error | top-1 localization error | GT-known localization accuracy |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map(([name, r]) => `| ${name} | ${r.images.length} | ${f3(r.top1ClassificationError)} | ${f3(r.top1LocalizationError)} | ${f3(r.gtKnownLocalizationAccuracy)} |`),
  ].join('\n');
}
