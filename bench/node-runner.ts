/** The Node/Dawn environment: our kernels in this process, the peers each in a child process. */
import { readFileSync } from 'node:fs';
import type { GpuContext } from '../src/gpu/context.ts';
import { createNodeGpuContext } from '../src/gpu/device-node.ts';
import { kernelChoicesFor } from '../src/forward/autotune.ts';
import { nodeKernelChoiceStore } from '../src/forward/kernel-choice-store-node.ts';
import { measureOurs, measureScalingPoint, type OursSettings } from './measure-ours.ts';
import type { BenchOptions } from './options.ts';
import { runPeerInNode } from './peers/node-peers.ts';
import { bundleInfo } from './bundle-info.ts';
import type { EnvironmentResult, OursModelResult, PeerName, PeerResult, ScalingPoint } from './report-types.ts';
import type { PreparedSubject, SubjectName } from './subjects.ts';

export function packageVersion(name: string): string {
  const bundled = bundleInfo()?.versions[name];
  if (bundled) return bundled;
  try {
    return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

export function emptyEnvironment(environment: EnvironmentResult['environment'], description: string): EnvironmentResult {
  return { environment, description, adapter: null, models: [], scaling: [], peers: [], errors: [], notes: [] };
}

export function adapterSummary(context: GpuContext): NonNullable<EnvironmentResult['adapter']> {
  return { ...context.adapter, hasTimestampQuery: context.hasTimestampQuery };
}

/** A scaling point read off a full measurement of the same model (same size, seed and photo), not measured twice. */
export function scalingPointOf(result: OursModelResult): ScalingPoint {
  return {
    inputSize: result.input[1],
    status: 'ok',
    parameters: result.parameters,
    firstResultMs: result.firstResult.totalMs,
    forward: result.forward,
    backtrack: {
      hysm: { medianMs: result.backtrack.hysm.medianMs, nodes: result.backtrack.hysm.nodes },
      official: { medianMs: result.backtrack.official.medianMs, nodes: result.backtrack.official.nodes },
    },
    peakMemoryBytes: result.peakMemoryBytes,
  };
}

export function oursSettings(context: GpuContext, options: BenchOptions, log: (line: string) => void): OursSettings {
  return { kernels: { ...kernelChoicesFor(context, nodeKernelChoiceStore()), ...options.kernels }, warmup: options.warmup, runs: options.runs, sweep: !options.quick, log };
}

/** Our kernels on every subject, then the scaling sweep; the logits of each subject for the peer checks. */
export async function measureOursInNode(
  context: GpuContext,
  subjects: PreparedSubject[],
  options: BenchOptions,
  log: (line: string) => void,
): Promise<{ environment: EnvironmentResult; logits: Map<SubjectName, Float32Array> }> {
  const environment = emptyEnvironment('node', `Node ${process.version}, Dawn (webgpu ${packageVersion('webgpu')})`);
  environment.adapter = adapterSummary(context);
  const logits = new Map<SubjectName, Float32Array>();
  for (const subject of subjects) {
    // A device of its own per subject: its first result then pays for its own pipeline compilation, as a user's
    // first run does, instead of reusing what an earlier subject compiled.
    const fresh = await createNodeGpuContext();
    try {
      const measured = await measureOurs(fresh, subject, oursSettings(fresh, options, log));
      environment.models.push(measured.result);
      logits.set(subject.name, measured.logits);
    } catch (error) {
      environment.errors.push({ what: `${subject.label} (ours)`, message: (error as Error).message });
      log(`${subject.label} failed: ${(error as Error).message}`);
    } finally {
      fresh.device.destroy();
    }
  }
  if (options.parts.includes('scaling')) {
    for (const size of options.scalingSizes) {
      const measured = environment.models.find((m) => m.subject === 'vgg19' && m.input[1] === size);
      environment.scaling.push(measured ? scalingPointOf(measured) : await measureScalingPoint(context, size, options.seed, oursSettings(context, options, log)));
    }
  }
  return { environment, logits };
}

export interface PeerPlan {
  subjects: PreparedSubject[];
  peers: PeerName[];
  references: Map<SubjectName, Float32Array>;
  onnxPaths: Map<SubjectName, string>;
  /** Why a subject has no .onnx file (ONNX cannot express it exactly): its ONNX Runtime peers are unsupported. */
  onnxErrors: Map<SubjectName, string>;
}

/** The result of a peer that cannot run a subject at all (no exact ONNX file), or null when it can. */
export function peerUnsupported(plan: PeerPlan, peer: PeerName, subject: PreparedSubject): PeerResult | null {
  const why = peer.startsWith('ort-') ? plan.onnxErrors.get(subject.name) : undefined;
  return why ? { peer, subject: subject.name, label: subject.label, status: 'unsupported', message: why } : null;
}

/** Each peer on each subject, one child process at a time. */
export async function measurePeersInNode(plan: PeerPlan, options: BenchOptions, environment: EnvironmentResult, log: (line: string) => void): Promise<void> {
  for (const subject of plan.subjects) {
    for (const peer of plan.peers) {
      const unsupported = peerUnsupported(plan, peer, subject);
      if (unsupported) {
        environment.peers.push(unsupported);
        continue;
      }
      const { result } = await runPeerInNode(
        {
          peer,
          subject: { name: subject.name, label: subject.label, source: subject.source },
          input: subject.input,
          reference: plan.references.get(subject.name)!,
          onnxPath: plan.onnxPaths.get(subject.name) ?? null,
          warmup: options.peerWarmup,
          runs: options.peerRuns,
          threads: options.threads,
        },
        options.peerTimeoutS * 1000,
        log,
      );
      if (result.status !== 'ok') log(`${peer}: ${result.status}${result.message ? `: ${result.message}` : ''}`);
      environment.peers.push(result);
    }
  }
}
