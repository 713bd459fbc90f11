import type { KernelChoiceStore, TuningResult } from './autotune.ts';

const key = 'webgpu-fixations:kernel-choices';

export const browserKernelChoiceStore: KernelChoiceStore = {
  load(adapter) {
    try {
      return (JSON.parse(localStorage.getItem(key) ?? '{}') as Record<string, TuningResult>)[adapter] ?? null;
    } catch {
      return null;
    }
  },
  save(result) {
    try {
      const all = JSON.parse(localStorage.getItem(key) ?? '{}') as Record<string, TuningResult>;
      all[result.adapter] = result;
      localStorage.setItem(key, JSON.stringify(all));
    } catch {
      // Storage may be unavailable (private mode); tuning then simply is not remembered.
    }
  },
};
