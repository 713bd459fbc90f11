/**
 * One benchmark run: prepares the subjects, measures in Node/Dawn and in headless Chromium, checks the targets and
 * writes `bench-<date>.json` and `bench-<date>.md` (and `latest.*`) to the out folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { GpuModel } from '../src/forward/gpu-model.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { createNodeGpuContext } from '../src/gpu/device-node.ts';
import { measureInBrowser } from './browser-runner.ts';
import { reportMarkdown } from './markdown.ts';
import { logitsTensor } from './peers/logits.ts';
import { measureOursInNode, measurePeersInNode, packageVersion, type PeerPlan } from './node-runner.ts';
import type { BenchOptions } from './options.ts';
import { writePeerOnnx } from './peers/peer-onnx.ts';
import { prepareSubject } from './prepare-subjects.ts';
import type { BenchReport, EnvironmentResult } from './report-types.ts';
import type { PreparedSubject } from './subjects.ts';
import { checkTargets, peerRatios } from './targets.ts';

export interface BenchRun {
  report: BenchReport;
  markdown: string;
  files: { json: string; markdown: string };
}

function gitCommit(): string | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return null;
  }
}

/** Our logits on a subject, for checking the peers when Node did not measure it. */
async function ourLogits(context: GpuContext, subject: PreparedSubject): Promise<Float32Array> {
  const gpuModel = await GpuModel.create(context, subject.model, { keep: [logitsTensor(subject.model)] });
  try {
    await gpuModel.runTensor(subject.input);
    return (await gpuModel.readActivations([logitsTensor(subject.model)])).get(logitsTensor(subject.model))!;
  } finally {
    gpuModel.destroy();
  }
}

export async function runBenchmark(options: BenchOptions, log: (line: string) => void = console.log, argv: string[] = []): Promise<BenchRun> {
  const started = new Date();
  const outDir = resolve(options.out);
  await mkdir(outDir, { recursive: true });
  const environments: EnvironmentResult[] = [];
  const notes: string[] = [];

  // Subjects of our kernels, then those of the peers (every one of them; VGG19 alone when none was asked for).
  const subjects: PreparedSubject[] = [];
  for (const name of ['vgg19', 'tiny-darknet', 'vgg-mini', 'resnet50', 'mobilenet_v2', 'model'] as const) {
    if (!options.parts.includes(name)) continue;
    log(`preparing ${name}`);
    const prepared = await prepareSubject(name, options);
    if ('skipped' in prepared) {
      log(prepared.skipped);
      notes.push(prepared.skipped);
    } else subjects.push(prepared);
  }
  let peerPlan: PeerPlan | null = null;
  if (options.parts.includes('peers') && options.peers.length > 0) {
    let peerSubjects = [...subjects];
    if (peerSubjects.length === 0) {
      const vgg = await prepareSubject('vgg19', options);
      if (!('skipped' in vgg)) peerSubjects = [vgg];
    }
    peerPlan = { subjects: peerSubjects, peers: options.peers, references: new Map(), onnxPaths: new Map(), onnxErrors: new Map() };
  }

  // One Dawn device for everything measured in this process, created on first use.
  const dawn: { context: GpuContext | null } = { context: null };
  const context = async () => (dawn.context ??= await createNodeGpuContext());
  let nodeEnvironment: EnvironmentResult | null = null;
  if (options.environments.includes('node')) {
    log('— Node/Dawn —');
    const measured = await measureOursInNode(await context(), subjects, options, (line) => log(`[node] ${line}`));
    nodeEnvironment = measured.environment;
    measured.logits.forEach((logits, name) => peerPlan?.references.set(name, logits));
    environments.push(nodeEnvironment);
  }

  if (peerPlan) {
    for (const subject of peerPlan.subjects) {
      if (!peerPlan.references.has(subject.name)) {
        log(`computing our logits on ${subject.label} (Node/Dawn) to check the peers against`);
        peerPlan.references.set(subject.name, await ourLogits(await context(), subject));
      }
      if (peerPlan.peers.some((p) => p.startsWith('ort-'))) {
        const path = join(outDir, 'onnx', `${subject.name}-${subject.model.input.width}-seed${options.seed}.onnx`);
        let bytes: Uint8Array;
        try {
          bytes = writePeerOnnx(subject.model);
        } catch (error) {
          // ONNX cannot express the model exactly (the writer names the node): the ONNX Runtime peers skip it.
          log(`no ONNX file for ${subject.label}: ${(error as Error).message}`);
          peerPlan.onnxErrors.set(subject.name, `no exact ONNX file: ${(error as Error).message}`);
          continue;
        }
        log(`writing ${path}`);
        await mkdir(join(outDir, 'onnx'), { recursive: true });
        await writeFile(path, bytes);
        peerPlan.onnxPaths.set(subject.name, path);
      }
    }
    if (nodeEnvironment) await measurePeersInNode(peerPlan, options, nodeEnvironment, (line) => log(`[node] ${line}`));
  }
  // Chromium's GPU process gets the CPU and memory to itself.
  dawn.context?.device.destroy();

  if (options.environments.includes('browser')) {
    log('— headless Chromium —');
    environments.unshift(await measureInBrowser({ subjects, peers: peerPlan }, options, (line) => log(`[browser] ${line}`)));
  }
  for (const env of environments) env.notes.push(...notes);

  const ratios = peerRatios(environments);
  const report: BenchReport = {
    tool: 'webgpu-fixations bench',
    date: started.toISOString(),
    options: { ...options, argv },
    host: {
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
      memoryBytes: totalmem(),
      node: process.version,
      commit: gitCommit(),
    },
    software: {
      webgpu: packageVersion('webgpu'),
      '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu'),
      '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
      'onnxruntime-web': packageVersion('onnxruntime-web'),
      'puppeteer-core': packageVersion('puppeteer-core'),
    },
    environments,
    ratios,
    targets: checkTargets(environments, ratios),
  };
  const markdown = reportMarkdown(report);
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const files = { json: join(outDir, `bench-${stamp}.json`), markdown: join(outDir, `bench-${stamp}.md`) };
  const json = JSON.stringify(report, null, 2);
  await Promise.all([
    writeFile(files.json, json),
    writeFile(files.markdown, markdown),
    writeFile(join(outDir, 'latest.json'), json),
    writeFile(join(outDir, 'latest.md'), markdown),
  ]);
  return { report, markdown, files };
}
