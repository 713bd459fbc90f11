/**
 * Back-to-back GPU time of Winograd F(2×2, 3×3) and F(4×4, 3×3) on VGG19's 3×3 stride-1 layer shapes (at `--side`,
 * default 224), each with the GEMM register tiles of `--tiles` (default the tuned 8×16/64 and a few others): the rounds
 * interleave the variants, so a change in machine load hits all of them alike. Also each variant's max error against
 * the float64 direct convolution on a patch of the output, with He-scaled random weights and ReLU-like inputs.
 * `--model vgg19|resnet50`: the whole forward of that bench subject instead, one GpuModel per variant, interleaved.
 * Usage: node bin/run-ts.js bench/winograd-variants.ts [--side 224] [--rounds 3] [--layers conv3_1,conv4_2] [--tiles 8x4,4x4]
 *        node bin/run-ts.js bench/winograd-variants.ts --model vgg19 [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { createStorageBuffer, readBuffers } from '../src/gpu/buffers.ts';
import { createNodeGpuContext } from '../src/gpu/device-node.ts';
import { timePasses } from '../src/gpu/pass-timer.ts';
import type { GpuTensor } from '../src/gpu/tensor.ts';
import type { GemmTile } from '../src/ops/common/kernel-choices.ts';
import type { Conv2dLayer } from '../src/ops/conv2d/spec.ts';
import { Conv2dWinogradOp, winograd2, winogradWorkspaceBytes, type WinogradVariant } from '../src/ops/conv2d/winograd.ts';
import { winograd4 } from '../src/ops/conv2d/winograd4.ts';
import { GpuModel } from '../src/forward/gpu-model.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { defaultBenchOptions } from './options.ts';
import { prepareSubject } from './prepare-subjects.ts';
import type { SubjectName } from './subjects.ts';

const { values } = parseArgs({
  allowPositionals: true,
  options: {
    side: { type: 'string', default: '224' },
    rounds: { type: 'string', default: '3' },
    layers: { type: 'string', default: '' },
    tiles: { type: 'string', default: '8x4' },
    model: { type: 'string', default: '' },
  },
});
const side = Number(values.side);
const rounds = Number(values.rounds);
const tiles: GemmTile[] = values.tiles.split(',').map((t) => {
  const [tileM, tileN4] = t.split('x').map(Number);
  return { tileM, tileN4, threads: 64 };
});
/** VGG19's 3×3 layers after the first: name, input channels, output channels, side divisor. */
const vgg = [
  ['conv1_2', 64, 64, 1], ['conv2_1', 64, 128, 2], ['conv2_2', 128, 128, 2], ['conv3_1', 128, 256, 4], ['conv3_2', 256, 256, 4],
  ['conv4_1', 256, 512, 8], ['conv4_2', 512, 512, 8], ['conv5_1', 512, 512, 16],
] as const;
const wanted = values.layers ? values.layers.split(',') : vgg.map(([name]) => name);
const context = await createNodeGpuContext();
if (values.model) {
  await wholeForward(context, values.model as SubjectName, Number(values.rounds));
  process.exit(0);
}
let seed = 1;
const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);

function tensor(label: string, channels: number, size: number): GpuTensor {
  const c4 = Math.ceil(channels / 4);
  return { label, shape: { channels, height: size, width: size }, c4, batch: 1, buffer: createStorageBuffer(context, label, size * size * c4 * 16) };
}

/** Max |error| / max |reference| over the first `rows` output rows against the float64 direct convolution. */
function relativeError(layer: Conv2dLayer, x: Float32Array, size: number, got: Float32Array, rows: number): number {
  const c4in = Math.ceil(layer.inChannels / 4) * 4;
  const c4out = Math.ceil(layer.outChannels / 4) * 4;
  let worst = 0;
  let scale = 0;
  for (let y = 0; y < rows; y++) for (let xo = 0; xo < size; xo++) for (let o = 0; o < layer.outChannels; o++) {
    let sum = layer.bias[o];
    for (let i = 0; i < layer.inChannels; i++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
      const yy = y + a - 1;
      const xx = xo + b - 1;
      if (yy < 0 || xx < 0 || yy >= size || xx >= size) continue;
      sum += layer.weight[((o * layer.inChannels + i) * 3 + a) * 3 + b] * x[(yy * size + xx) * c4in + i];
    }
    worst = Math.max(worst, Math.abs(got[(y * size + xo) * c4out + o] - sum));
    scale = Math.max(scale, Math.abs(sum));
  }
  return worst / scale;
}

console.log(`VGG19 ${side}×${side} 3×3 layers on ${context.adapter.name}, ${rounds} interleaved rounds (median ms; max error / max |output| on 2 rows)`);
for (const [name, inChannels, outChannels, divisor] of vgg.filter(([n]) => wanted.includes(n))) {
  const size = side / divisor;
  const layer: Conv2dLayer = {
    kind: 'conv2d', name, kernel: 3, stride: 1, padding: 1, inChannels, outChannels, activation: 'linear',
    weight: Float32Array.from({ length: outChannels * inChannels * 9 }, () => (random() * 2 - 1) * Math.sqrt(6 / (9 * inChannels))),
    bias: Float32Array.from({ length: outChannels }, () => random() * 0.1),
  };
  const input = tensor('in', inChannels, size);
  const output = tensor('out', outChannels, size);
  const x = Float32Array.from({ length: size * size * input.c4 * 4 }, () => random());
  context.device.queue.writeBuffer(input.buffer, 0, x);
  const variants: { label: string; variant: WinogradVariant; tile: GemmTile }[] = [];
  for (const variant of [winograd2, winograd4]) for (const tile of tiles) variants.push({ label: `F(${variant.outputTile}) ${tile.tileM}×${tile.tileN4 * 4}`, variant, tile });
  const runs = await Promise.all(
    variants.map(async ({ label, variant, tile }) => {
      const bytes = winogradWorkspaceBytes(layer, input, output, variant);
      const workspace = { transformed: createStorageBuffer(context, 'V', bytes.transformed), products: createStorageBuffer(context, 'M', bytes.products) };
      const op = await Conv2dWinogradOp.create(context, layer, input, output, workspace, tile, variant);
      return { label, op, buffers: [workspace.transformed, workspace.products], times: [] as number[], error: 0 };
    }),
  );
  for (let round = 0; round <= rounds; round++) {
    for (const run of runs) {
      const timed = await timePasses(context, [{ label: run.label, encode: (pass) => run.op.encode(pass) }]);
      if (round > 0) run.times.push(timed.ms[0]); // round 0 warms up
      if (round === 0) {
        const [data] = await readBuffers(context, 'output', [{ buffer: output.buffer, size: output.buffer.size }]);
        run.error = relativeError(layer, x, size, new Float32Array(data), 2);
      }
    }
  }
  const line = runs.map(({ label, times, error }) => {
    const sorted = [...times].sort((a, b) => a - b);
    return `${label} ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms (${error.toExponential(1)})`;
  });
  runs.forEach(({ op, buffers }) => (op.destroy(), buffers.forEach((b) => b.destroy())));
  console.log(`${name.padEnd(8)} ${size}² ${inChannels}→${outChannels}: ${line.join(' | ')}`);
  input.buffer.destroy();
  output.buffer.destroy();
}
context.device.destroy();

/** The whole forward of a bench subject with each variant, interleaved; the largest logit difference between them. */
async function wholeForward(context: GpuContext, name: SubjectName, rounds: number): Promise<void> {
  const subject = await prepareSubject(name, defaultBenchOptions());
  if ('skipped' in subject) throw new Error(subject.skipped);
  const models = [] as { tile: 2 | 4; gpu: GpuModel; times: number[]; scores: Float32Array }[];
  for (const tile of [2, 4] as const) {
    const gpu = await GpuModel.create(context, subject.model, { kernels: { winogradTile: tile } });
    models.push({ tile, gpu, times: [], scores: new Float32Array() });
  }
  for (let round = 0; round <= rounds; round++) {
    for (const m of models) {
      const start = performance.now();
      m.scores = (await m.gpu.runTensor(subject.input)).scores;
      if (round > 0) m.times.push(performance.now() - start); // round 0 warms up
    }
  }
  const scale = Math.max(...models[0].scores.map(Math.abs));
  const difference = Math.max(...models[0].scores.map((v, i) => Math.abs(v - models[1].scores[i])));
  console.log(`${subject.label} forward on ${context.adapter.name}, ${rounds} interleaved rounds; logits differ by ${difference.toExponential(2)} (max |logit| ${scale.toFixed(3)})`);
  for (const { tile, times } of models) {
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`  F(${tile}×${tile}) median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms  (runs ${times.map((t) => t.toFixed(0)).join(', ')})`);
  }
  models.forEach(({ gpu }) => gpu.destroy());
}
