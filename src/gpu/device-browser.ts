import { createGpuContext, type GpuContext, type GpuContextOptions } from './context.ts';

const shaderFiles = import.meta.glob('../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const opShaderFiles = import.meta.glob('../ops/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** `ops/<op>/<file>` names a shader beside its op's hosts in `src/ops/`; any other name one in `shaders/`. */
export function browserShaderSource(name: string): string {
  const code = name.startsWith('ops/') ? opShaderFiles[`../${name}.wgsl`] : shaderFiles[`../../shaders/${name}.wgsl`];
  if (code === undefined) throw new Error(`shader ${name}.wgsl is not bundled`);
  return code;
}

const noAdapterHint =
  'Use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows), make sure hardware ' +
  'acceleration is on, and open the page over https or localhost.';

export function createBrowserGpuContext(options: Partial<Omit<GpuContextOptions, 'shaders' | 'noAdapterHint'>> = {}): Promise<GpuContext> {
  return createGpuContext(typeof navigator === 'undefined' ? undefined : navigator.gpu, {
    ...options,
    shaders: browserShaderSource,
    noAdapterHint,
  });
}
