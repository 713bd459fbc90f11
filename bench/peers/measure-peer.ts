/**
 * Timing of one peer runtime on one model, the same in Node and in the browser page: cold start (build or parse the
 * model, upload, compile, first inference), then warm-up and timed inferences, and a check of its output against
 * ours on the same input.
 */
import type { PeerName, PeerResult } from '../report-types.ts';
import { timeOnce, timeRepeated } from '../stats.ts';
import type { SubjectName } from '../subjects.ts';
import { comparePeerOutput } from './compare.ts';

/** A model loaded into a peer runtime: one inference on a CHW input, logits out. */
export interface PeerSession {
  run(input: Float32Array): Promise<Float32Array>;
  dispose(): void | Promise<void>;
}

export interface PeerRuntime {
  peer: PeerName;
  /** Versions, backend, threads, adapter: whatever the runtime reports about itself. */
  info(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Builds or parses the model and prepares it to run (weights uploaded, graph initialised). */
  open(): Promise<PeerSession>;
}

export interface PeerSettings {
  warmup: number;
  runs: number;
  log: (line: string) => void;
}

export interface PeerSubject {
  name: SubjectName;
  label: string;
  input: Float32Array;
  /** Our logits on `input`. */
  reference: Float32Array;
}

export async function measurePeer(runtime: PeerRuntime, subject: PeerSubject, settings: PeerSettings): Promise<PeerResult> {
  const { peer } = runtime;
  const { log } = settings;
  log(`${peer}: ${subject.label}: loading the model`);
  const opened = await timeOnce(() => runtime.open());
  const session = opened.value;
  try {
    const first = await timeOnce(() => session.run(subject.input));
    log(`${peer}: ${subject.label}: first result after ${Math.round(opened.ms + first.ms)} ms`);
    const check = comparePeerOutput(first.value, subject.reference, 'logits');
    const forward = await timeRepeated(() => session.run(subject.input), {
      warmup: settings.warmup,
      runs: settings.runs,
      onRun: (i, ms, warm) => log(`${peer}: ${subject.label}: ${warm ? 'warm-up' : `run ${i - settings.warmup + 1}`}: ${Math.round(ms)} ms`),
    });
    return {
      peer,
      subject: subject.name,
      label: subject.label,
      status: 'ok',
      firstResultMs: opened.ms + first.ms,
      forward,
      check,
      runtime: await runtime.info(),
    };
  } finally {
    await session.dispose();
  }
}
