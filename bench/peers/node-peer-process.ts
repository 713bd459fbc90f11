/**
 * Child process that runs one peer in Node (forked by node-peers.ts, so a peer that hangs in a wasm loop can be killed
 * and its memory is returned). The WebGPU peers get Dawn's GPU object as `navigator.gpu`, which is what they look for.
 */
import { readFile } from 'node:fs/promises';
import { createNodeGpuContext } from '../../src/gpu/device-node.ts';
import type { AdapterJson } from '../browser-jobs.ts';
import { bundleInfo } from '../bundle-info.ts';
import { loadSourceModel } from '../subjects.ts';
import { measurePeer, type PeerRuntime } from './measure-peer.ts';
import type { NodePeerJob, NodePeerMessage } from './node-peer-job.ts';
import { ortRuntime, tfjsRuntime, type Ort } from './runtimes.ts';
import { TfjsUnsupported } from './tfjs-model.ts';

function send(message: NodePeerMessage): Promise<void> {
  return new Promise((done) => process.send!(message, undefined, undefined, () => done()));
}

const log = (line: string) => void send({ kind: 'log', line });

/** A peer that cannot start in Node (no navigator.gpu support, no backend) is reported as unsupported, not failed. */
class UnsupportedInNode extends Error {}

/**
 * Dawn as `navigator.gpu` (Node 20 has no navigator; later versions have one without `gpu`). Our context is created
 * for its Vulkan set-up and adapter description, and kept: destroying its device leaves ONNX Runtime's hanging.
 */
async function installNavigatorGpu(): Promise<AdapterJson> {
  const context = await createNodeGpuContext();
  const navigatorLike = { ...(globalThis as { navigator?: object }).navigator, gpu: context.gpu };
  Object.defineProperty(globalThis, 'navigator', { value: navigatorLike, configurable: true, writable: true });
  return { ...context.adapter, hasTimestampQuery: context.hasTimestampQuery };
}

/**
 * ONNX Runtime's WebGPU provider writes buffers from views of its wasm memory, a SharedArrayBuffer, which Dawn's Node
 * binding rejects ("Invalid argument"); browsers accept them. Copying such a view first changes no result.
 */
function acceptSharedViewsInWriteBuffer(): string {
  const queue = (globalThis as unknown as { GPUQueue: { prototype: GPUQueue } }).GPUQueue.prototype;
  const writeBuffer = queue.writeBuffer;
  queue.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource, dataOffset?: number, size?: number) {
    const copy = ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer ? (data as Uint8Array).slice() : data;
    return writeBuffer.call(this, buffer, offset, copy as BufferSource, dataOffset, size);
  } as GPUQueue['writeBuffer'];
  return 'GPUQueue.writeBuffer copies views of SharedArrayBuffer before Dawn (Node) takes them';
}

async function nodeRuntime(job: NodePeerJob): Promise<{ runtime: PeerRuntime; adapter: AdapterJson | null }> {
  const model = await loadSourceModel(job.subject.source, async (path) => new Uint8Array(await readFile(path)));
  switch (job.peer) {
    case 'tfjs-webgpu': {
      const adapter = await installNavigatorGpu();
      const tf = await import('@tensorflow/tfjs');
      await import('@tensorflow/tfjs-backend-webgpu');
      if (!tf.findBackendFactory('webgpu')) throw new UnsupportedInNode('tfjs-backend-webgpu did not register in Node');
      return { runtime: await tfjsRuntime(tf, 'webgpu', model, () => ({ navigatorGpu: 'Dawn (webgpu package)' })), adapter };
    }
    case 'tfjs-wasm': {
      const tf = await import('@tensorflow/tfjs');
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setThreadsCount(job.threads);
      // Bundled, tfjs cannot find its .wasm files beside its own script.
      const bundle = bundleInfo();
      if (bundle) wasm.setWasmPaths(`${bundle.tfjsWasmDir}/`);
      // tfjs-backend-wasm never uses threads in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there, tfjs issue 3830).
      const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      return { runtime: await tfjsRuntime(tf, 'wasm', model, () => ({ requestedThreads: job.threads, wasmThreads: wasm.getThreadsCount(), multithread })), adapter: null };
    }
    case 'ort-webgpu': {
      const adapter = await installNavigatorGpu();
      const shim = acceptSharedViewsInWriteBuffer();
      const ort = (await import('onnxruntime-web/webgpu')) as unknown as Ort;
      const runtime = ortRuntime(ort, 'webgpu', new Uint8Array(await readFile(job.onnxPath!)), model, job.threads);
      const info = runtime.info;
      return { runtime: { ...runtime, info: async () => ({ ...(await info()), shim }) }, adapter };
    }
    case 'ort-wasm': {
      const ort = (await import('onnxruntime-web')) as unknown as Ort;
      return { runtime: ortRuntime(ort, 'wasm', new Uint8Array(await readFile(job.onnxPath!)), model, job.threads), adapter: null };
    }
  }
}

process.once('message', (job: NodePeerJob) => {
  void (async () => {
    try {
      const { runtime, adapter } = await nodeRuntime(job);
      const result = await measurePeer(
        runtime,
        { name: job.subject.name, label: job.subject.label, input: job.input, reference: job.reference },
        { warmup: job.warmup, runs: job.runs, log },
      );
      await send({ kind: 'done', result, adapter });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await send({ kind: 'failed', message, unsupported: error instanceof UnsupportedInNode || error instanceof TfjsUnsupported });
    }
    // Dawn and the wasm thread pools keep the event loop alive; the parent has what it needs.
    process.exit(0);
  })();
});
