/**
 * The browser side of the benchmark: runs one job (our kernels on a model, one scaling point, or one peer) with the
 * same measuring code as Node, on the browser's WebGPU adapter, and leaves the outcome on `window.__bench`.
 */
import { createBrowserGpuContext } from '../../src/gpu/device-browser.ts';
import { kernelChoicesFor } from '../../src/forward/autotune.ts';
import { browserKernelChoiceStore } from '../../src/forward/kernel-choice-store-browser.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import type { AdapterJson, BrowserJob, BrowserJobOutcome, BrowserJobResult, MeasureSettingsJson, SubjectOnServer } from '../browser-jobs.ts';
import { measureOurs, measureScalingPoint, type OursSettings } from '../measure-ours.ts';
import { measurePeer, type PeerRuntime } from '../peers/measure-peer.ts';
import { ortRuntime, tfjsRuntime, type Ort, type Tfjs } from '../peers/runtimes.ts';
import { loadSourceModel, type PreparedSubject } from '../subjects.ts';

declare global {
  interface Window {
    __benchStart(job: BrowserJob): void;
    __bench?: BrowserJobOutcome;
  }
}

const logElement = document.getElementById('log')!;

function log(line: string): void {
  // The runner forwards console lines to its terminal.
  console.log(`bench: ${line}`);
  logElement.textContent += `${line}\n`;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url} failed: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchFloats(url: string): Promise<Float32Array> {
  const bytes = await fetchBytes(url);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

async function prepareSubject(subject: SubjectOnServer): Promise<PreparedSubject> {
  const [model, photo, input] = await Promise.all([
    loadSourceModel(subject.source, fetchBytes),
    fetchBytes(subject.photo.url),
    fetchFloats(subject.inputUrl),
  ]);
  return {
    name: subject.name,
    label: subject.label,
    source: subject.source,
    model,
    photo: { width: subject.photo.width, height: subject.photo.height, data: photo },
    photoName: subject.photoName,
    input,
  };
}

function settingsFor(context: GpuContext, json: MeasureSettingsJson): OursSettings {
  return { ...json, kernels: { ...kernelChoicesFor(context, browserKernelChoiceStore), ...json.kernels }, log };
}

function adapterOf(context: GpuContext): AdapterJson {
  return { ...context.adapter, hasTimestampQuery: context.hasTimestampQuery };
}

/** The adapter a peer gets from `navigator.gpu` (the peers request their own device). */
async function defaultAdapter(): Promise<AdapterJson | null> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const info = adapter.info;
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((p) => p && p.length > 0);
  return {
    name: parts.length > 0 ? [...new Set(parts)].join(' ') : 'unnamed adapter',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    hasTimestampQuery: adapter.features.has('timestamp-query'),
  };
}

function loadScript(url: string): Promise<void> {
  return new Promise((done, fail) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = () => done();
    script.onerror = () => fail(new Error(`loading ${url} failed`));
    document.head.append(script);
  });
}

/**
 * The peers are loaded from their own files as published (served from node_modules), not bundled: bundling breaks
 * their wasm thread workers, which start from the library's own script.
 */
async function loadOrt(peer: 'ort-webgpu' | 'ort-wasm'): Promise<Ort> {
  const file = peer === 'ort-webgpu' ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs';
  const ort = (await import(/* @vite-ignore */ `${location.origin}/ort/${file}`)) as Ort;
  ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
  return ort;
}

interface TfjsWasmBackend {
  setWasmPaths(prefix: string): void;
  setThreadsCount(threads: number): void;
  getThreadsCount(): number;
}

/** TensorFlow.js's UMD bundles: `tf`, and its backends onto it (`tf.wasm`). */
async function loadTfjs(peer: 'tfjs-webgpu' | 'tfjs-wasm'): Promise<Tfjs> {
  await loadScript('/tfjs/tf.es2017.min.js');
  await loadScript(peer === 'tfjs-webgpu' ? '/tfjs-webgpu/tf-backend-webgpu.es2017.min.js' : '/tfjs-wasm/tf-backend-wasm.es2017.min.js');
  return (window as unknown as { tf: Tfjs }).tf;
}

async function peerRuntime(job: Extract<BrowserJob, { kind: 'peer' }>, subject: PreparedSubject): Promise<PeerRuntime> {
  if (job.peer === 'tfjs-webgpu' || job.peer === 'tfjs-wasm') {
    const tf = await loadTfjs(job.peer);
    if (job.peer === 'tfjs-webgpu') {
      return tfjsRuntime(tf, 'webgpu', subject.model, () => ({ adapterInfo: (tf.backend() as { adapterInfo?: unknown }).adapterInfo }));
    }
    const wasm = (tf as unknown as { wasm: TfjsWasmBackend }).wasm;
    wasm.setWasmPaths(`${location.origin}/tfjs-wasm/`);
    wasm.setThreadsCount(job.threads);
    const [simd, multithread] = await Promise.all([tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')]);
    return tfjsRuntime(tf, 'wasm', subject.model, () => ({ requestedThreads: job.threads, wasmThreads: wasm.getThreadsCount(), simd, multithread, crossOriginIsolated }));
  }
  if (!job.onnxUrl) throw new Error(`${job.peer} needs the .onnx file and none was served`);
  const [ort, onnx] = await Promise.all([loadOrt(job.peer), fetchBytes(job.onnxUrl)]);
  return ortRuntime(ort, job.peer === 'ort-webgpu' ? 'webgpu' : 'wasm', onnx, subject.model, job.threads);
}

async function runJob(job: BrowserJob): Promise<BrowserJobResult> {
  if (job.kind === 'ours') {
    const context = await createBrowserGpuContext();
    const subject = await prepareSubject(job.subject);
    const { result } = await measureOurs(context, subject, settingsFor(context, job.settings));
    return { kind: 'ours', adapter: adapterOf(context), result };
  }
  if (job.kind === 'scaling') {
    const context = await createBrowserGpuContext();
    const result = await measureScalingPoint(context, job.inputSize, job.seed, settingsFor(context, job.settings));
    return { kind: 'scaling', adapter: adapterOf(context), result };
  }
  const [subject, reference, adapter] = await Promise.all([prepareSubject(job.subject), fetchFloats(job.referenceUrl), defaultAdapter()]);
  const runtime = await peerRuntime(job, subject);
  const result = await measurePeer(
    runtime,
    { name: subject.name, label: subject.label, input: subject.input, reference },
    { warmup: job.warmup, runs: job.runs, log },
  );
  return { kind: 'peer', adapter, result };
}

window.__benchStart = (job) => {
  window.__bench = undefined;
  runJob(job).then(
    (value) => (window.__bench = { ok: true, value }),
    (error: unknown) => (window.__bench = { ok: false, message: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) }),
  );
};
