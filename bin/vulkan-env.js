// Environment for Dawn's Vulkan backend on machines without a GPU driver: Chromium ships SwiftShader (a CPU Vulkan
// driver) and a Vulkan loader in /usr/lib/chromium. The loader is found through LD_LIBRARY_PATH, which the dynamic
// linker reads only at process start, so callers apply this before starting the process that loads Dawn.
import { existsSync } from 'node:fs';

const chromiumDir = '/usr/lib/chromium';
const swiftShaderIcd = `${chromiumDir}/vk_swiftshader_icd.json`;
const systemLibDirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64'];

/** Returns the variables to add to `env` (possibly none). */
export function vulkanEnvAdditions(env = process.env) {
  if (process.platform !== 'linux') return {};
  const additions = {};
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES && existsSync(swiftShaderIcd)) {
    additions.VK_ICD_FILENAMES = swiftShaderIcd;
  }
  const searched = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...systemLibDirs];
  const hasLoader = searched.some((dir) => existsSync(`${dir}/libvulkan.so.1`));
  if (!hasLoader && existsSync(`${chromiumDir}/libvulkan.so.1`)) {
    additions.LD_LIBRARY_PATH = [env.LD_LIBRARY_PATH, chromiumDir].filter(Boolean).join(':');
  }
  return additions;
}
