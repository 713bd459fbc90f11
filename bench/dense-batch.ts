/**
 * A dense layer over a batch (default VGG19's fc6, 25088 → 4096, 5 images; `--in`, `--out`, `--batch`, `--rounds`),
 * three ways, GPU time back to back with the rounds interleaved: the single-image kernel dispatched once per image
 * (the weights read `batch` times), dense_batch.wgsl (what a batched GpuModel runs: each weight read once for all
 * images), and the GEMM of the convolutions with rows = images (gemm.ts; weights in its [k][column] layout, in column
 * chunks under the binding limit). Only the times count here: the buffers hold no meaningful values.
 * Usage: node bin/run-ts.js bench/dense-batch.ts [--in 25088] [--out 4096] [--batch 5] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { createStorageBuffer } from '../src/gpu/buffers.ts';
import { createNodeGpuContext } from '../src/gpu/device-node.ts';
import type { GpuOp } from '../src/gpu/dispatch.ts';
import { timePasses } from '../src/gpu/pass-timer.ts';
import type { GpuTensor } from '../src/gpu/tensor.ts';
import { defaultKernelChoices, type GemmTile } from '../src/ops/common/kernel-choices.ts';
import { GemmOp, paddedColumns4 } from '../src/ops/conv2d/gemm.ts';
import { DenseOp } from '../src/ops/dense/forward.ts';
import type { DenseLayer } from '../src/ops/layers.ts';

const { values } = parseArgs({
  allowPositionals: true,
  options: { in: { type: 'string', default: '25088' }, out: { type: 'string', default: '4096' }, batch: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } },
});
const [inFeatures, outFeatures, batch, rounds] = [Number(values.in), Number(values.out), Number(values.batch), Number(values.rounds)];
const context = await createNodeGpuContext();
const layer: DenseLayer = {
  kind: 'dense',
  name: `dense ${inFeatures}→${outFeatures}`,
  inFeatures,
  outFeatures,
  activation: 'relu',
  weight: new Float32Array(inFeatures * outFeatures),
  bias: new Float32Array(outFeatures),
};
const c4 = (n: number) => Math.ceil(n / 4);
const vector = (label: string, n: number, images: number): GpuTensor => ({
  label,
  shape: { channels: n, height: 1, width: 1 },
  c4: c4(n),
  batch: images,
  buffer: createStorageBuffer(context, label, c4(n) * 16 * images),
});
const [input, output] = [vector('in', inFeatures, batch), vector('out', outFeatures, batch)];
const single = await DenseOp.create(context, layer, { ...input, batch: 1 }, { ...output, batch: 1 });
const batched = await DenseOp.create(context, layer, input, output);

/** The GEMM over column chunks of B that fit one binding. */
async function gemmVariant(tile: GemmTile): Promise<GpuOp> {
  const limit = Math.min(context.budget.maxStorageBufferBindingSize, context.budget.maxBufferSize);
  const columnBytes = c4(inFeatures) * 4 * 16;
  const perChunk4 = Math.max(tile.tileN4, Math.floor(limit / columnBytes / tile.tileN4) * tile.tileN4);
  const ops: GpuOp[] = [];
  const buffers: GPUBuffer[] = [];
  for (let first4 = 0; first4 < c4(outFeatures); first4 += perChunk4) {
    const cols4 = Math.min(perChunk4, c4(outFeatures) - first4);
    const b = createStorageBuffer(context, 'B', c4(inFeatures) * 4 * paddedColumns4(cols4, tile) * 16);
    const c = createStorageBuffer(context, 'C', batch * cols4 * 16);
    buffers.push(b, c);
    ops.push(await GemmOp.create(context, { label: 'fc as GEMM', a: input.buffer, b, c, batches: 1, rows: batch, k4: c4(inFeatures), validCols4: cols4 }, tile));
  }
  return { encode: (pass) => ops.forEach((op) => op.encode(pass)), destroy: () => (ops.forEach((op) => op.destroy()), buffers.forEach((b) => b.destroy())) };
}

const variants: { name: string; op: GpuOp }[] = [
  { name: `${batch}× single-image dense.wgsl`, op: { encode: (pass) => Array.from({ length: batch }, () => single.encode(pass)), destroy: () => single.destroy() } },
  { name: 'dense_batch.wgsl', op: batched },
  { name: 'GEMM tile 8×16/64', op: await gemmVariant(defaultKernelChoices.gemmTile) },
  { name: 'GEMM tile 5×16/64', op: await gemmVariant({ tileM: 5, tileN4: 4, threads: 64 }) },
];
const times = variants.map(() => [] as number[]);
let method = '';
for (let round = 0; round <= rounds; round++) {
  for (const [i, { name, op }] of variants.entries()) {
    const timed = await timePasses(context, [{ label: name, encode: (pass) => op.encode(pass) }]);
    method = timed.method;
    if (round > 0) times[i].push(timed.ms[0]); // round 0 warms up
  }
}
console.log(`${layer.name}, ${batch} images, on ${context.adapter.name} (${method}, ${rounds} interleaved rounds):`);
for (const [i, { name }] of variants.entries()) {
  const sorted = [...times[i]].sort((a, b) => a - b);
  console.log(`  ${name.padEnd(28)} median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms  (min ${sorted[0].toFixed(1)}, max ${sorted[sorted.length - 1].toFixed(1)})`);
}
variants.forEach(({ op }) => op.destroy());
context.device.destroy();
