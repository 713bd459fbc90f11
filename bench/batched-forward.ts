/**
 * Single forward passes against GpuModel.scoreMany on one model: `node bin/run-ts.js bench/batched-forward.ts
 * [model] [count]` (default Tiny Darknet from ../shared/data, 16 inputs). Prints forwards/s of each and whether the
 * scores agree.
 */
import { GpuModel } from '../src/forward/gpu-model.ts';
import { createNodeGpuContext } from '../src/gpu/device-node.ts';
import { seededRandom } from '../src/graph/random-model.ts';
import { elementCount } from '../src/model/shapes.ts';
import { loadModelFile } from '../src/weights/load-model-node.ts';

const [modelPath = new URL('../../shared/data/tiny-darknet/tiny.cfg', import.meta.url).pathname, countText = '16'] = process.argv.slice(3);
const count = Number(countText);
const model = await loadModelFile(modelPath);
const context = await createNodeGpuContext();
const gpuModel = await GpuModel.create(context, model);
const random = seededRandom(1);
const inputs = Array.from({ length: count }, () => Float32Array.from({ length: elementCount(model.input) }, () => random()));
await gpuModel.runTensor(inputs[0]); // warm-up: pipelines compiled
let start = performance.now();
const single: Float32Array[] = [];
for (const input of inputs) single.push((await gpuModel.runTensor(input)).scores);
const singleS = (performance.now() - start) / 1000;
start = performance.now();
const batched = await gpuModel.scoreMany(inputs);
const batchedS = (performance.now() - start) / 1000;
let maxDiff = 0;
single.forEach((s, i) => s.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - batched[i][j])))));
console.log(`${model.name} on ${context.adapter.name}, ${count} inputs`);
console.log(`single forwards:  ${(count / singleS).toFixed(2)} forwards/s (${singleS.toFixed(2)} s)`);
console.log(`scoreMany:        ${(count / batchedS).toFixed(2)} forwards/s (${batchedS.toFixed(2)} s)`);
console.log(`largest score difference: ${maxDiff}`);
gpuModel.destroy();
context.device.destroy();
