import { autotune, describeChoices } from '../forward/autotune.ts';
import { nodeKernelChoiceStore } from '../forward/kernel-choice-store-node.ts';
import { createNodeGpuContext } from '../gpu/device-node.ts';

/** Measures the kernel variants on this adapter and remembers the fastest for every later command. */
export async function tuneCommand(options: { runs: number }): Promise<void> {
  const context = await createNodeGpuContext();
  const store = nodeKernelChoiceStore();
  console.log(`tuning kernels on ${context.adapter.name} (${options.runs} timed runs each)`);
  try {
    const result = await autotune(context, options.runs, (m) => console.log(`  ${m.kernel.padEnd(6)} ${m.candidate.padEnd(24)} ${m.ms.toFixed(2)} ms`));
    store.save(result);
    console.log(`chosen: ${describeChoices(result.choices)} → ${store.file}`);
  } finally {
    context.device.destroy();
  }
}
