import { defineConfig } from 'vitest/config';
// @ts-expect-error plain JS module shared with the CLI launcher
import { vulkanEnvAdditions } from './bin/vulkan-env.js';

// Test workers are forked after this runs, so they start with a Vulkan loader and driver they can find.
Object.assign(process.env, vulkanEnvAdditions());

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // GPU tests on SwiftShader are CPU-bound; two workers match this machine's two cores.
    maxWorkers: 2,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
