/**
 * Forwards/s of one model at batch 1 against a batched GpuModel (GpuModelOptions.batch), with the rounds interleaved
 * so that a change in machine load hits both alike, and the per-layer GPU time of one batched pass against `batch`
 * single ones (profileLayers). `node bin/run-ts.js bench/batch-dimension.ts [model|vgg19] [--batch 5] [--rounds 3]`
 * (default Tiny Darknet from ../shared/data; vgg19: random weights at 224×224).
 */
import { parseArgs } from 'node:util';
import { vggArchitecture } from '../src/architectures/vgg.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import { createNodeGpuContext } from '../src/gpu/device-node.ts';
import { randomModel, seededRandom } from '../src/graph/random-model.ts';
import { elementCount } from '../src/model/shapes.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { batch: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } } });
const [batch, rounds] = [Number(values.batch), Number(values.rounds)];
const subject = positionals[1] ?? new URL('../../shared/data/tiny-darknet/tiny.cfg', import.meta.url).pathname;
const model = subject === 'vgg19' ? randomModel(vggArchitecture(19), 1) : await loadModelFile(subject);
const context = await createNodeGpuContext();
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const timed = async (f: () => Promise<unknown>) => {
  const start = performance.now();
  await f();
  return performance.now() - start;
};

let start = performance.now();
const single = await GpuModel.create(context, model);
const singleCreateMs = performance.now() - start;
start = performance.now();
const batched = await GpuModel.create(context, model, { batch });
const batchedCreateMs = performance.now() - start;
const random = seededRandom(2);
const inputs = Array.from({ length: batch }, () => Float32Array.from({ length: elementCount(model.input) }, () => random()));
await single.runTensor(inputs[0]); // warm-up
await batched.runTensors(inputs);
const singleMs: number[] = [];
const batchedMs: number[] = [];
for (let round = 0; round < rounds; round++) {
  singleMs.push(await timed(async () => { for (const input of inputs) await single.runTensor(input); }));
  batchedMs.push(await timed(() => batched.runTensors(inputs)));
}
const singleLayers = await single.profileLayers();
const batchedLayers = await batched.profileLayers();
console.log(`${model.name} on ${context.adapter.name}, ${batch} images, ${rounds} interleaved rounds (medians)`);
console.log(`create: batch 1 ${singleCreateMs.toFixed(0)} ms, batch ${batch} ${batchedCreateMs.toFixed(0)} ms`);
console.log(`batch 1:  ${((batch * 1000) / median(singleMs)).toFixed(2)} forwards/s (${batch} passes ${median(singleMs).toFixed(0)} ms; rounds ${singleMs.map((m) => m.toFixed(0)).join(', ')})`);
console.log(`batch ${batch}:  ${((batch * 1000) / median(batchedMs)).toFixed(2)} forwards/s (one pass ${median(batchedMs).toFixed(0)} ms; rounds ${batchedMs.map((m) => m.toFixed(0)).join(', ')})`);
console.log(`per layer (${singleLayers.method}): ${batch} × batch 1 | batch ${batch}`);
// The slowest layers, and every dense layer (what the batch reads once).
const slowest = singleLayers.ms.map((ms, i) => ({ i, ms })).sort((a, b) => b.ms - a.ms).slice(0, 6);
const dense = model.nodes.flatMap((node, i) => (node.kind === 'dense' && !slowest.some((s) => s.i === i) ? [{ i, ms: singleLayers.ms[i] }] : []));
for (const { i, ms } of [...slowest, ...dense]) console.log(`  ${singleLayers.labels[i].padEnd(10)} ${(batch * ms).toFixed(1).padStart(9)} ms | ${batchedLayers.ms[i].toFixed(1).padStart(9)} ms`);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
console.log(`  ${'total'.padEnd(10)} ${(batch * sum(singleLayers.ms)).toFixed(1).padStart(9)} ms | ${sum(batchedLayers.ms).toFixed(1).padStart(9)} ms`);
single.destroy();
batched.destroy();
context.device.destroy();
