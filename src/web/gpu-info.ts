import { describeChoices } from '../forward/autotune.ts';
import type { KernelChoices } from '../forward/gpu-model.ts';
import type { GpuContext } from '../gpu/context.ts';

import { parameterCount, type Model } from '../graph/model.ts';
import { formatShape } from '../model/shapes.ts';
import { describePreprocess } from '../model/preprocess.ts';

const shownLimits = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

function bytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(n % 2 ** 30 ? 1 : 0)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(n % 2 ** 20 ? 1 : 0)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(0)} KiB`;
  return String(n);
}

function rows(list: HTMLElement, entries: [string, string][]): void {
  list.replaceChildren(
    ...entries.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }),
  );
}

/** The adapter's name and the limits that decide which models fit. */
export function renderGpuInfo(list: HTMLElement, context: GpuContext, kernels: KernelChoices): void {
  const limits = context.device.limits;
  rows(list, [
    ['Adapter', `${context.adapter.name}${context.adapter.isFallbackAdapter ? ' (software fallback)' : ''}`],
    ...shownLimits.map((name): [string, string] => {
      const value = limits[name];
      return [name, name.endsWith('Size') && name !== 'maxComputeWorkgroupStorageSize' ? bytes(value) : value.toLocaleString('en')];
    }),
    ['timestamp-query', context.hasTimestampQuery ? 'yes' : 'no'],
    ['subgroups', context.hasSubgroups ? 'yes' : 'no'],
    ['Kernels', describeChoices(kernels)],
  ]);
}

export function renderModelInfo(list: HTMLElement, model: Model): void {
  const parameters = parameterCount(model);
  rows(list, [
    ['Model', model.name],
    ['Input', formatShape(model.input)],
    ['Preprocessing', describePreprocess(model.preprocess)],
    ['Layers', String(model.nodes.length)],
    ['Parameters', `${(parameters / 1e6).toFixed(2)} M (${bytes(parameters * 4)})`],
    ['Classes', String(model.labels.length)],
  ]);
}
