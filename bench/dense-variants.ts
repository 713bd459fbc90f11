/**
 * Back-to-back GPU time of the dense forward variants on one layer (default VGG19's fc6, 25088 → 4096; `--in`,
 * `--out`, `--rounds`): the rounds interleave the variants, so a change in machine load hits all of them alike.
 * Usage: node bin/run-ts.js bench/dense-variants.ts [--in 25088] [--out 4096] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { denseCandidates } from '../src/forward/autotune.ts';
import { createStorageBuffer } from '../src/gpu/buffers.ts';
import { createNodeGpuContext } from '../src/gpu/device-node.ts';
import { timePasses } from '../src/gpu/pass-timer.ts';
import { DenseOp } from '../src/ops/dense/forward.ts';
import type { DenseLayer } from '../src/ops/layers.ts';

const { values } = parseArgs({ allowPositionals: true, options: { in: { type: 'string', default: '25088' }, out: { type: 'string', default: '4096' }, rounds: { type: 'string', default: '5' } } });
const [inFeatures, outFeatures, rounds] = [Number(values.in), Number(values.out), Number(values.rounds)];
const context = await createNodeGpuContext();
const layer: DenseLayer = {
  kind: 'dense',
  name: `dense ${inFeatures}→${outFeatures}`,
  inFeatures,
  outFeatures,
  activation: 'relu',
  weight: Float32Array.from({ length: inFeatures * outFeatures }, (_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5),
  bias: new Float32Array(outFeatures),
};
const c4 = (n: number) => Math.ceil(n / 4);
const input = { label: 'in', shape: { channels: inFeatures, height: 1, width: 1 }, c4: c4(inFeatures), batch: 1, buffer: createStorageBuffer(context, 'in', c4(inFeatures) * 16) };
const output = { label: 'out', shape: { channels: outFeatures, height: 1, width: 1 }, c4: c4(outFeatures), batch: 1, buffer: createStorageBuffer(context, 'out', c4(outFeatures) * 16) };
const kernels = denseCandidates(context);
const ops = await Promise.all(kernels.map((kernel) => DenseOp.create(context, layer, input, output, kernel)));
const times = kernels.map(() => [] as number[]);
let method = '';
for (let round = 0; round <= rounds; round++) {
  for (const [i, op] of ops.entries()) {
    const timed = await timePasses(context, [{ label: kernels[i], encode: (pass) => op.encode(pass) }]);
    method = timed.method;
    if (round > 0) times[i].push(timed.ms[0]); // round 0 warms up
  }
}
console.log(`${layer.name} on ${context.adapter.name} (${method}, ${ops[0].weights.chunks.length} weight binding(s), ${rounds} interleaved rounds):`);
for (const [i, kernel] of kernels.entries()) {
  const sorted = [...times[i]].sort((a, b) => a - b);
  console.log(`  ${kernel.padEnd(10)} median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms  (min ${sorted[0].toFixed(1)}, max ${sorted[sorted.length - 1].toFixed(1)})`);
}
ops.forEach((op) => op.destroy());
context.device.destroy();
