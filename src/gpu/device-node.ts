import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGpuContext, type GpuContext, type GpuContextOptions } from './context.ts';

const shaderDirectory = fileURLToPath(new URL('../../shaders/', import.meta.url));
const sourceDirectory = fileURLToPath(new URL('../', import.meta.url));
const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Shaders read once each: `ops/<op>/<file>` beside its op's hosts in `src/ops/`, any other name from `shaders/`. */
export function nodeShaderSource(): (name: string) => string {
  const cache = new Map<string, string>();
  return (name) => {
    let code = cache.get(name);
    if (code === undefined) {
      code = readFileSync(`${name.startsWith('ops/') ? sourceDirectory : shaderDirectory}${name}.wgsl`, 'utf8');
      cache.set(name, code);
    }
    return code;
  };
}

const noAdapterHint =
  'Node uses Dawn (the "webgpu" package) over Vulkan. On a machine without a GPU driver, install Chromium for its ' +
  'SwiftShader Vulkan driver and the Vulkan loader (Debian/Ubuntu: apt-get install chromium libvulkan1), or point ' +
  'VK_ICD_FILENAMES at your Vulkan driver\'s ICD file. Run through `npx fixations`, which sets this up when it can.';

/**
 * A GPU context in Node through Dawn. Where no Vulkan driver is configured and Chromium's SwiftShader is installed, it is
 * used, so machines without a GPU still run (slowly).
 */
export async function createNodeGpuContext(options: Partial<Omit<GpuContextOptions, 'shaders' | 'noAdapterHint'>> = {}): Promise<GpuContext> {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(swiftShaderIcd)) {
    process.env.VK_ICD_FILENAMES = swiftShaderIcd;
  }
  let gpu: GPU;
  try {
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    gpu = dawn.create(['backend=vulkan']);
  } catch (error) {
    throw new Error(`loading Dawn (the "webgpu" package) failed: ${(error as Error).message}. ${noAdapterHint}`);
  }
  return createGpuContext(gpu, { ...options, shaders: nodeShaderSource(), noAdapterHint });
}
