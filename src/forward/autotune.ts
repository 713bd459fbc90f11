/**
 * Kernel choices per adapter. CPU drivers (SwiftShader, llvmpipe) get register-tiled kernels without workgroup memory;
 * GPUs get the workgroup-memory variants. `autotune` measures the candidates on problems shaped like VGG's layers and
 * keeps the fastest; a store caches the result per adapter so the measurement is paid once.
 */
import { createStorageBuffer } from '../gpu/buffers.ts';
import type { AdapterSummary, GpuContext } from '../gpu/context.ts';
import { timePasses } from '../gpu/pass-timer.ts';
import { DenseOp } from '../ops/dense/forward.ts';
import { GemmOp } from '../ops/conv2d/gemm.ts';
import { Conv2dWinogradOp, winograd2, winogradWorkspaceBytes } from '../ops/conv2d/winograd.ts';
import { winograd4 } from '../ops/conv2d/winograd4.ts';
import {
  defaultKernelChoices,
  denseKernelFeature,
  denseKernels,
  winogradTileChoices,
  workgroupGemmTile,
  type DenseKernel,
  type GemmTile,
  type KernelChoices,
  type WinogradTile,
} from '../ops/common/kernel-choices.ts';
import type { Conv2dLayer, DenseLayer } from '../ops/layers.ts';

export function isCpuAdapter(adapter: AdapterSummary): boolean {
  return adapter.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|warp|software/i.test(adapter.name);
}

export function adapterDefaults(adapter: AdapterSummary): KernelChoices {
  return isCpuAdapter(adapter) ? defaultKernelChoices : { ...defaultKernelChoices, gemmTile: workgroupGemmTile, dense: 'workgroup' };
}

export const gemmCandidates: GemmTile[] = [
  { tileM: 8, tileN4: 4, threads: 64 },
  { tileM: 4, tileN4: 4, threads: 64 },
  { tileM: 8, tileN4: 2, threads: 64 },
  { tileM: 4, tileN4: 8, threads: 64 },
  { tileM: 16, tileN4: 2, threads: 64 },
  workgroupGemmTile,
];
/** The dense kernels this device can run: `subgroup` only where it was created with the `subgroups` feature. */
export function denseCandidates(context: Pick<GpuContext, 'hasSubgroups'>): DenseKernel[] {
  return denseKernels.filter((kernel) => denseKernelFeature(kernel) !== 'subgroups' || context.hasSubgroups);
}

export interface Measurement {
  kernel: string;
  candidate: string;
  ms: number;
}

export interface TuningResult {
  adapter: string;
  date: string;
  choices: KernelChoices;
  measurements: Measurement[];
}

export function describeTile(tile: GemmTile): string {
  return tile.kind === 'workgroup' ? 'workgroup 64×64/256' : `registers ${tile.tileM}×${tile.tileN4 * 4}/${tile.threads}`;
}

const denseDescriptions: Record<DenseKernel, string> = {
  invocation: 'per invocation',
  workgroup: 'per workgroup',
  subgroup: 'per workgroup with subgroupAdd',
};

/** The variants in use, as the CLI and the page show them. */
export function describeChoices(choices: KernelChoices): string {
  const winograd = choices.winograd ? `Winograd F(${choices.winogradTile}×${choices.winogradTile}, 3×3)` : 'no Winograd';
  return `${winograd}, GEMM ${describeTile(choices.gemmTile)}, dense ${denseDescriptions[choices.dense] ?? choices.dense}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeOp(context: GpuContext, label: string, op: { encode(pass: GPUComputePassEncoder): void }, runs: number): Promise<number> {
  await timePasses(context, [{ label, encode: (pass) => op.encode(pass) }]);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timePasses(context, [{ label, encode: (pass) => op.encode(pass) }])).ms[0]);
  return median(times);
}

/**
 * The Winograd variants with the chosen GEMM tile on a convolution shaped like VGG's conv4 (28 × 28, 256 → 256
 * channels): the whole op, transforms included, since F(4×4) trades GEMM work for bigger transforms.
 */
export async function tuneWinograd(
  context: GpuContext,
  tile: GemmTile,
  runs: number,
  record: (m: Measurement) => void,
  { side, channels } = { side: 28, channels: 256 },
): Promise<WinogradTile> {
  const layer: Conv2dLayer = {
    kind: 'conv2d', name: 'tuning', kernel: 3, stride: 1, padding: 1, inChannels: channels, outChannels: channels, activation: 'relu',
    weight: new Float32Array(channels * channels * 9), bias: new Float32Array(channels),
  };
  const tensor = () => ({ label: 'tuning', shape: { channels, height: side, width: side }, c4: channels / 4, batch: 1, buffer: createStorageBuffer(context, 'tuning tensor', side * side * channels * 4) });
  const [input, output] = [tensor(), tensor()];
  let best = { tile: winogradTileChoices[0], ms: Infinity };
  try {
    for (const variant of [winograd2, winograd4]) {
      const bytes = winogradWorkspaceBytes(layer, input, output, variant);
      const workspace = { transformed: createStorageBuffer(context, 'tuning V', bytes.transformed), products: createStorageBuffer(context, 'tuning M', bytes.products) };
      try {
        const op = await Conv2dWinogradOp.create(context, layer, input, output, workspace, tile, variant);
        const ms = await timeOp(context, 'winograd', op, runs);
        op.destroy();
        record({ kernel: 'winograd', candidate: `F(${variant.outputTile}×${variant.outputTile}, 3×3)`, ms });
        if (ms < best.ms) best = { tile: variant.outputTile, ms };
      } finally {
        workspace.transformed.destroy();
        workspace.products.destroy();
      }
    }
  } finally {
    input.buffer.destroy();
    output.buffer.destroy();
  }
  return best.tile;
}

/**
 * Measures every candidate on a Winograd GEMM shaped like VGG's conv4 (16 × 784 tiles × 256 → 256 channels), then the
 * Winograd variants with the fastest tile, and a dense layer of 4096 × 4096, and returns the fastest of each.
 */
export async function autotune(context: GpuContext, runs = 3, onProgress?: (m: Measurement) => void): Promise<TuningResult> {
  const measurements: Measurement[] = [];
  const record = (m: Measurement) => (measurements.push(m), onProgress?.(m));
  const gemm = { batches: 16, rows: 784, k4: 64, validCols4: 64 };
  const a = createStorageBuffer(context, 'tuning A', gemm.batches * gemm.rows * gemm.k4 * 16);
  const b = createStorageBuffer(context, 'tuning B', gemm.batches * gemm.k4 * 4 * 64 * 16);
  const c = createStorageBuffer(context, 'tuning C', gemm.batches * gemm.rows * gemm.validCols4 * 16);
  let bestGemm = { tile: gemmCandidates[0], ms: Infinity };
  try {
    for (const tile of gemmCandidates) {
      const op = await GemmOp.create(context, { label: 'tuning', a, b, c, ...gemm }, tile);
      const ms = await timeOp(context, 'gemm', op, runs);
      op.destroy();
      record({ kernel: 'gemm', candidate: describeTile(tile), ms });
      if (ms < bestGemm.ms) bestGemm = { tile, ms };
    }
  } finally {
    [a, b, c].forEach((buffer) => buffer.destroy());
  }
  const winogradTile = await tuneWinograd(context, bestGemm.tile, runs, record);
  const n = 4096;
  const layer: DenseLayer = {
    kind: 'dense',
    name: 'tuning',
    inFeatures: n,
    outFeatures: n,
    activation: 'relu',
    weight: new Float32Array(n * n),
    bias: new Float32Array(n),
  };
  const vector = () => ({ label: 'tuning', shape: { channels: n, height: 1, width: 1 }, c4: n / 4, batch: 1, buffer: createStorageBuffer(context, 'tuning vector', n * 4) });
  const [input, output] = [vector(), vector()];
  const candidates = denseCandidates(context);
  let bestDense = { kernel: candidates[0], ms: Infinity };
  try {
    for (const kernel of candidates) {
      const op = await DenseOp.create(context, layer, input, output, kernel);
      const ms = await timeOp(context, 'dense', op, runs);
      op.destroy();
      record({ kernel: 'dense', candidate: kernel, ms });
      if (ms < bestDense.ms) bestDense = { kernel, ms };
    }
  } finally {
    input.buffer.destroy();
    output.buffer.destroy();
  }
  return {
    adapter: context.adapter.name,
    date: new Date().toISOString(),
    choices: { ...adapterDefaults(context.adapter), gemmTile: bestGemm.tile, winogradTile, dense: bestDense.kernel },
    measurements,
  };
}

/** Where tuning results live: a file in Node, localStorage in the browser. */
export interface KernelChoiceStore {
  load(adapter: string): TuningResult | null;
  save(result: TuningResult): void;
}

/**
 * The cached choices for this adapter, else its class's defaults (tuning is never started implicitly). A stored choice
 * from another version (an unknown dense kernel or Winograd tile), or one this device cannot run (`subgroup` on a device
 * without the feature), falls back to the default for that field with a warning; fields the store lacks take the
 * defaults.
 */
export function kernelChoicesFor(
  context: Pick<GpuContext, 'adapter' | 'hasSubgroups'>,
  store: KernelChoiceStore | null,
  warn: (message: string) => void = (message) => console.warn(`webgpu-fixations: ${message}`),
): KernelChoices {
  const defaults = adapterDefaults(context.adapter);
  const stored = store?.load(context.adapter.name)?.choices as Partial<KernelChoices> | undefined;
  if (!stored || typeof stored !== 'object') return defaults;
  const choices = { ...defaults, ...stored };
  if (!denseCandidates(context).includes(choices.dense)) {
    warn(
      `the stored dense kernel "${String(choices.dense)}" cannot run on ${context.adapter.name}` +
        `${denseKernels.includes(choices.dense) ? ' (it needs the WebGPU feature "subgroups")' : ' (unknown kernel)'}; ` +
        `using "${defaults.dense}" — run \`fixations tune\` again to re-measure`,
    );
    choices.dense = defaults.dense;
  }
  if (!winogradTileChoices.includes(choices.winogradTile)) {
    warn(
      `the stored Winograd tile ${JSON.stringify(choices.winogradTile)} is unknown (choose from ${winogradTileChoices.join(', ')}); ` +
        `using ${defaults.winogradTile} — run \`fixations tune\` again to re-measure`,
    );
    choices.winogradTile = defaults.winogradTile;
  }
  return choices;
}
