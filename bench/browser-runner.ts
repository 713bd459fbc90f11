/**
 * The headless Chromium environment: builds the benchmark page with Vite into a temporary folder, serves it with the
 * subjects' data on 127.0.0.1, and runs each job in a fresh browser driven by puppeteer.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import type { BrowserJob, BrowserJobOutcome, BrowserJobResult, SubjectOnServer } from './browser-jobs.ts';
import { emptyEnvironment, peerUnsupported, scalingPointOf, type PeerPlan } from './node-runner.ts';
import type { BenchOptions } from './options.ts';
import type { EnvironmentResult, PeerResult } from './report-types.ts';
import { startStaticServer, type ServedFile } from './static-server.ts';
import type { PreparedSubject } from './subjects.ts';

const pageFolder = fileURLToPath(new URL('./browser/', import.meta.url));
const nodeModules = fileURLToPath(new URL('../node_modules/', import.meta.url));

/** WebGPU on SwiftShader (no GPU needed), no background traffic that would share the CPU with the measurement. */
export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function buildBenchPage(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: pageFolder,
    base: '/',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'esnext', reportCompressedSize: false, chunkSizeWarningLimit: 100_000 },
  });
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Registers a subject's photo, input and model files with the server; returns how the page finds them. */
function serveSubject(subject: PreparedSubject, files: Map<string, ServedFile>): SubjectOnServer {
  const base = `/data/${subject.name}`;
  files.set(`${base}/photo.rgba`, bytesOf(subject.photo.data));
  files.set(`${base}/input.f32`, bytesOf(subject.input));
  let source = subject.source;
  if (source.kind === 'darknet') {
    files.set(`${base}/tiny.cfg`, { path: source.cfg });
    files.set(`${base}/tiny.weights`, { path: source.weights });
    files.set(`${base}/names.txt`, { path: source.names });
    source = { kind: 'darknet', cfg: `${base}/tiny.cfg`, weights: `${base}/tiny.weights`, names: `${base}/names.txt` };
  } else if (source.kind === 'onnx') {
    files.set(`${base}/model.onnx`, { path: source.model });
    if (source.names) files.set(`${base}/names.txt`, { path: source.names });
    source = { ...source, model: `${base}/model.onnx`, names: source.names ? `${base}/names.txt` : null };
  }
  return {
    name: subject.name,
    label: subject.label,
    source,
    photoName: subject.photoName,
    photo: { url: `${base}/photo.rgba`, width: subject.photo.width, height: subject.photo.height },
    inputUrl: `${base}/input.f32`,
  };
}

type JobRun = { outcome: BrowserJobOutcome; browserVersion: string } | { timedOut: true; browserVersion: string };

async function closeBrowser(browser: Browser): Promise<void> {
  const process_ = browser.process();
  const forced = setTimeout(() => process_?.kill('SIGKILL'), 15_000);
  await browser.close().catch(() => process_?.kill('SIGKILL'));
  clearTimeout(forced);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The promise's value, or 'late' once `ms` have passed (the timer is cleared either way). */
async function beforeDeadline<T>(promise: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<'late'>((done) => (timer = setTimeout(() => done('late'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One job in a fresh browser: nothing cached, all memory returned when it closes. Polled from here rather than with
 * waitForFunction, whose in-page wait is cut by the protocol timeout; an uncaught error or a crash of the page ends the
 * job at once instead of at its time limit.
 */
async function runJobInFreshBrowser(job: BrowserJob, origin: string, options: BenchOptions, timeoutMs: number, log: (line: string) => void): Promise<JobRun> {
  // Loaded on first use: the Node-only device bundle carries no puppeteer.
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: options.chromium,
    headless: true,
    args: chromiumArgs,
    // A page busy in wasm answers only between its tasks: one evaluate may wait long.
    protocolTimeout: timeoutMs + 120_000,
  });
  const browserVersion = await browser.version();
  try {
    const page = await browser.newPage();
    let pageFailure: string | null = null;
    page.on('console', (message) => {
      const text = message.text();
      if (text.startsWith('bench: ')) log(text.slice('bench: '.length));
      else if (message.type() === 'error' || message.type() === 'warn') log(`console ${message.type()}: ${text}`);
    });
    page.on('pageerror', (error) => {
      const message = error instanceof Error ? error.message : String(error);
      log(`page error: ${message}`);
      pageFailure ??= `uncaught error in the page: ${message}`;
    });
    page.on('error', (error) => (pageFailure ??= `the page crashed: ${error.message}`));
    await page.goto(`${origin}/index.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => typeof window.__benchStart === 'function', { timeout: 60_000 });
    await page.evaluate((j) => window.__benchStart(j), job);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (pageFailure) return { outcome: { ok: false, message: pageFailure }, browserVersion };
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { timedOut: true, browserVersion };
      const done = await beforeDeadline(page.evaluate(() => window.__bench !== undefined), remaining);
      if (done === 'late') return { timedOut: true, browserVersion };
      if (done) break;
      await sleep(Math.min(2000, Math.max(0, deadline - Date.now())));
    }
    return { outcome: (await page.evaluate(() => window.__bench))!, browserVersion };
  } finally {
    await closeBrowser(browser);
  }
}

/** A job's value, or why there is none: it failed to start, the page threw, or it ran past its time limit. */
function outcomeOf(
  run: JobRun | { error: string },
  limitS: number,
  option: string,
): { value: BrowserJobResult } | { failure: string; timedOut: boolean } {
  if ('error' in run) return { failure: run.error, timedOut: false };
  if ('timedOut' in run) return { failure: `no result within ${limitS} s (${option})`, timedOut: true };
  if (!run.outcome.ok) return { failure: run.outcome.message.split('\n')[0], timedOut: false };
  return { value: run.outcome.value };
}

export interface BrowserPlan {
  subjects: PreparedSubject[];
  peers: PeerPlan | null;
}

export async function measureInBrowser(plan: BrowserPlan, options: BenchOptions, log: (line: string) => void): Promise<EnvironmentResult> {
  const environment = emptyEnvironment('browser', 'headless Chromium');
  if (!existsSync(options.chromium)) {
    environment.errors.push({ what: 'headless Chromium', message: `${options.chromium} not found: install Chromium (apt-get install chromium) or pass --chromium <path>` });
    return environment;
  }
  const buildDir = await mkdtemp(join(tmpdir(), 'webgpu-fixations-bench-'));
  const files = new Map<string, ServedFile>();
  try {
    log('building the benchmark page (vite)');
    await buildBenchPage(buildDir);
    const server = await startStaticServer(
      [
        { prefix: '/', folder: buildDir },
        { prefix: '/ort/', folder: join(nodeModules, 'onnxruntime-web/dist') },
        { prefix: '/tfjs/', folder: join(nodeModules, '@tensorflow/tfjs/dist') },
        { prefix: '/tfjs-webgpu/', folder: join(nodeModules, '@tensorflow/tfjs-backend-webgpu/dist') },
        { prefix: '/tfjs-wasm/', folder: join(nodeModules, '@tensorflow/tfjs-backend-wasm/dist') },
      ],
      files,
    );
    try {
      const run = async (job: BrowserJob, timeoutMs: number, what: string): Promise<JobRun | { error: string }> => {
        try {
          const result = await runJobInFreshBrowser(job, server.origin, options, timeoutMs, log);
          environment.description = `${result.browserVersion} (headless, ${options.chromium})`;
          return result;
        } catch (error) {
          log(`${what} failed: ${(error as Error).message}`);
          return { error: `the browser job failed: ${(error as Error).message}` };
        }
      };
      const settings = { warmup: options.warmup, runs: options.runs, sweep: !options.quick, kernels: options.kernels };
      const oursTimeoutMs = options.jobTimeoutS * 1000;
      for (const subject of plan.subjects) {
        const what = `${subject.label} (ours)`;
        const outcome = outcomeOf(await run({ kind: 'ours', subject: serveSubject(subject, files), settings }, oursTimeoutMs, what), options.jobTimeoutS, '--job-timeout');
        if ('failure' in outcome) environment.errors.push({ what, message: outcome.failure });
        else if (outcome.value.kind === 'ours') {
          environment.adapter = outcome.value.adapter;
          environment.models.push(outcome.value.result);
        }
      }
      for (const size of options.parts.includes('scaling') ? options.scalingSizes : []) {
        const measured = environment.models.find((m) => m.subject === 'vgg19' && m.input[1] === size);
        if (measured) {
          environment.scaling.push(scalingPointOf(measured));
          continue;
        }
        const outcome = outcomeOf(await run({ kind: 'scaling', inputSize: size, seed: options.seed, settings }, oursTimeoutMs, `scaling ${size}`), options.jobTimeoutS, '--job-timeout');
        if ('failure' in outcome) environment.scaling.push({ inputSize: size, status: 'failed', error: outcome.failure });
        else if (outcome.value.kind === 'scaling') {
          environment.adapter ??= outcome.value.adapter;
          environment.scaling.push(outcome.value.result);
        }
      }
      const peers = plan.peers;
      for (const subject of peers?.subjects ?? []) {
        const served = serveSubject(subject, files);
        const referenceUrl = `/data/${subject.name}/reference.f32`;
        files.set(referenceUrl, bytesOf(peers!.references.get(subject.name)!));
        const onnxPath = peers!.onnxPaths.get(subject.name);
        // Not model.onnx: that is where a `--model` subject's own file is served.
        const onnxUrl = onnxPath ? `/data/${subject.name}/peer.onnx` : null;
        if (onnxPath) files.set(`/data/${subject.name}/peer.onnx`, { path: onnxPath });
        for (const peer of peers!.peers) {
          const unsupported = peerUnsupported(peers!, peer, subject);
          if (unsupported) {
            environment.peers.push(unsupported);
            continue;
          }
          const job: BrowserJob = { kind: 'peer', peer, subject: served, referenceUrl, onnxUrl, warmup: options.peerWarmup, runs: options.peerRuns, threads: options.threads };
          const outcome = outcomeOf(await run(job, options.peerTimeoutS * 1000, `${peer} on ${subject.label}`), options.peerTimeoutS, '--peer-timeout');
          let result: PeerResult;
          if ('failure' in outcome) result = { peer, subject: subject.name, label: subject.label, status: outcome.timedOut ? 'timed out' : 'failed', message: outcome.failure };
          else if (outcome.value.kind === 'peer') {
            result = outcome.value.result;
            environment.adapter ??= outcome.value.adapter;
          } else result = { peer, subject: subject.name, label: subject.label, status: 'failed', message: 'the page answered another job' };
          if (result.status !== 'ok') log(`${peer}: ${result.status}${result.message ? `: ${result.message}` : ''}`);
          environment.peers.push(result);
        }
      }
    } finally {
      await server.close();
    }
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }
  return environment;
}
