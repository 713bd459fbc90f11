// Runs a TypeScript entry point straight from the source tree (tsx), with the Vulkan environment Dawn needs. When the
// Vulkan loader is only found through LD_LIBRARY_PATH, the process re-executes itself so the dynamic linker sees it.
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { vulkanEnvAdditions } from './vulkan-env.js';

export async function launch(entryPath, argv = process.argv) {
  const additions = vulkanEnvAdditions();
  if (additions.LD_LIBRARY_PATH) {
    const child = spawnSync(process.execPath, [...process.execArgv, ...argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, ...additions },
    });
    process.exit(child.status ?? (child.signal ? 128 : 1));
  }
  Object.assign(process.env, additions);
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(entryPath).href);
}
