/** Errors that say what failed and what to do about it. */

export class GpuError extends Error {
  override name = 'GpuError';
}

export class NoWebGpuError extends GpuError {
  override name = 'NoWebGpuError';
}

export class DeviceLostError extends GpuError {
  override name = 'DeviceLostError';
  constructor(reason: string, detail: string) {
    super(
      `the GPU device was lost (${reason}${detail ? `: ${detail}` : ''}). Results in flight are discarded. ` +
        'Create a new GPU context (in the browser: reload the page) and run again; if it keeps happening, the GPU may be ' +
        'out of memory: close other GPU-heavy programs or use a smaller model.',
    );
  }
}

export class GpuLimitError extends GpuError {
  override name = 'GpuLimitError';
}
