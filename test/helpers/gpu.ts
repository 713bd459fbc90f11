import { createNodeGpuContext } from '../../src/gpu/device-node.ts';
import type { BufferBudget, GpuContext } from '../../src/gpu/context.ts';

/** One GPU context per test file (and per budget), created on first use. */
const contexts = new Map<string, Promise<GpuContext>>();

export function testGpu(budget?: Partial<BufferBudget>): Promise<GpuContext> {
  const key = JSON.stringify(budget ?? {});
  let context = contexts.get(key);
  if (!context) {
    context = createNodeGpuContext({ budget });
    contexts.set(key, context);
  }
  return context;
}
