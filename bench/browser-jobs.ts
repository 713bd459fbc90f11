/**
 * What the Node runner asks the browser page to do, and what comes back: plain JSON across puppeteer. Every job runs in
 * a fresh browser, so GPU memory, pipeline caches and JS heap start empty each time.
 */
import type { KernelChoices } from '../src/ops/common/kernel-choices.ts';
import type { OursModelResult, PeerName, PeerResult, ScalingPoint } from './report-types.ts';
import type { ModelSource, SubjectName } from './subjects.ts';

/** A subject as the page rebuilds it: the model from its source, photo and input tensor fetched from the server. */
export interface SubjectOnServer {
  name: SubjectName;
  label: string;
  source: ModelSource;
  photoName: string;
  photo: { url: string; width: number; height: number };
  /** CHW float32, little-endian. */
  inputUrl: string;
}

export interface MeasureSettingsJson {
  warmup: number;
  runs: number;
  sweep: boolean;
  /** Kernel choices forced over the adapter's (`--winograd-tile`), for measuring variants back to back. */
  kernels: Partial<KernelChoices>;
}

export type BrowserJob =
  | { kind: 'ours'; subject: SubjectOnServer; settings: MeasureSettingsJson }
  | { kind: 'scaling'; inputSize: number; seed: number; settings: MeasureSettingsJson }
  | {
      kind: 'peer';
      peer: PeerName;
      subject: SubjectOnServer;
      /** Our logits on the subject's input, float32. */
      referenceUrl: string;
      /** The .onnx file written from the same model (ONNX Runtime peers). */
      onnxUrl: string | null;
      warmup: number;
      runs: number;
      threads: number;
    };

export interface AdapterJson {
  name: string;
  isFallbackAdapter: boolean;
  hasTimestampQuery: boolean;
}

export type BrowserJobResult =
  | { kind: 'ours'; adapter: AdapterJson; result: OursModelResult }
  | { kind: 'scaling'; adapter: AdapterJson; result: ScalingPoint }
  | { kind: 'peer'; adapter: AdapterJson | null; result: PeerResult };

/** Set by the page on `window.__bench` when a job ends. */
export type BrowserJobOutcome = { ok: true; value: BrowserJobResult } | { ok: false; message: string };
