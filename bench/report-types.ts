/** The shape of the benchmark's JSON report: what every runner returns and the report writer reads. */
import type { Rule } from '../src/ops/common/rules.ts';
import type { Stats } from './stats.ts';
import type { SubjectName } from './subjects.ts';

export const peerNames = ['tfjs-webgpu', 'tfjs-wasm', 'ort-webgpu', 'ort-wasm'] as const;
export type PeerName = (typeof peerNames)[number];
export const environmentNames = ['browser', 'node'] as const;
export type EnvironmentName = (typeof environmentNames)[number];

/** GPU time per layer, and how it was taken (`submit-and-wait` is wall time and includes submission overhead). */
export interface LayerTimes {
  method: 'timestamp-query' | 'submit-and-wait';
  layers: { name: string; ms: number }[];
}

export interface BacktrackStats extends Stats {
  rule: Rule;
  target: number;
  /** Nodes in the whole fixation tree (every memory vector), and per level from the class down to the input. */
  nodes: number;
  levels: { name: string; nodes: number }[];
}

/** Backtracking time against the size of what it walks: one point per target class and rule. */
export interface SweepPoint {
  target: number;
  rule: Rule;
  nodes: number;
  medianMs: number;
  runsMs: number[];
}

export interface OursModelResult {
  subject: SubjectName;
  label: string;
  photo: string;
  input: [channels: number, height: number, width: number];
  parameters: number;
  /** Upload of the weights and pipeline compilation (GpuModel.create), then the first forward: a cold start. */
  firstResult: { totalMs: number; createMs: number; firstForwardMs: number };
  /** Input upload, every layer, scores read back (GpuModel.runTensor). */
  forward: Stats;
  /**
   * One forward pass over a batch of `inputs` images (GpuModel.withBatch), the stats of the whole pass; per image its
   * median over `inputs`; the largest difference of any image's scores from the single forward's, relative to the
   * largest score; the GPU memory of the batched copy of the model (weights again, activations of all images).
   */
  batched?: Stats & { inputs: number; perForwardMs: number; maxRelativeError: number; peakMemoryBytes: number };
  top1: { classIndex: number; label: string; probability: number };
  backtrack: {
    /** GpuBacktracker.create (its pipelines and buffers). */
    setupMs: number;
    /** Setup plus the first hysm backtrack: the backtracking's cold start. */
    firstResultMs: number;
    hysm: BacktrackStats;
    official: BacktrackStats;
  };
  /** Explainer.explain: preprocessing, forward, top-5, hysm backtrack from the top-1, tree read back, fixations. */
  explain: Stats & { rule: Rule; fixations: number };
  perLayer: { forward: LayerTimes; backtrack: Record<Rule, LayerTimes> };
  targetSweep: SweepPoint[];
  /** Most bytes of our GPU buffers alive at once while this model was measured. */
  peakMemoryBytes: number;
}

export interface ScalingPoint {
  inputSize: number;
  status: 'ok' | 'failed';
  error?: string;
  parameters?: number;
  firstResultMs?: number;
  forward?: Stats;
  backtrack?: Record<Rule, { medianMs: number; nodes: number }>;
  peakMemoryBytes?: number;
}

export interface PeerCheck {
  /** What was compared with our output on the same input: the logits (pre-softmax) when the model ends in softmax. */
  compared: 'logits' | 'outputs';
  /** Largest |peer − ours| / (|ours| + mean |ours|) over all classes. */
  maxError: number;
  tolerance: number;
  top1Agrees: boolean;
  ok: boolean;
}

export interface PeerResult {
  peer: PeerName;
  subject: SubjectName;
  label: string;
  status: 'ok' | 'timed out' | 'failed' | 'unsupported';
  message?: string;
  /** Model build, weight upload, compilation and the first inference. */
  firstResultMs?: number;
  /** One inference on the same input as ours, outputs read back to the CPU. */
  forward?: Stats;
  check?: PeerCheck;
  /** Versions, backend, threads and adapter as the peer reports them. */
  runtime?: Record<string, unknown>;
}

export interface EnvironmentResult {
  environment: EnvironmentName;
  /** `Node 20.x, Dawn (webgpu 0.6.2)` or `Chromium 156 (headless)`. */
  description: string;
  adapter: { name: string; isFallbackAdapter: boolean; hasTimestampQuery: boolean } | null;
  models: OursModelResult[];
  scaling: ScalingPoint[];
  peers: PeerResult[];
  /** Measurements that could not be taken, with why. */
  errors: { what: string; message: string }[];
  notes: string[];
}

export interface PeerRatio {
  environment: EnvironmentName;
  subject: SubjectName;
  peer: PeerName;
  peerMedianMs: number;
  oursMedianMs: number;
  /** Peer forward ÷ our forward: how many times faster ours is. */
  ratio: number;
  peerCheckOk: boolean;
}

export interface TargetCheck {
  target: string;
  environment: EnvironmentName;
  value: string;
  status: 'met' | 'not met' | 'not measured';
  /** The per-layer numbers behind a miss (slowest layers), or why it was not measured. */
  detail?: string;
}

export interface BenchReport {
  tool: 'webgpu-fixations bench';
  date: string;
  options: Record<string, unknown>;
  host: { platform: string; cpus: number; cpuModel: string; memoryBytes: number; node: string; commit: string | null };
  /** Versions of Dawn and of the peers' packages. */
  software: Record<string, string>;
  environments: EnvironmentResult[];
  ratios: PeerRatio[];
  targets: TargetCheck[];
}
