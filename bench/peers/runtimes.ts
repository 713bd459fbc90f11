/**
 * The four peer runtimes over library namespaces the caller loaded (the browser page and Node load them differently):
 * TensorFlow.js with its webgpu or wasm backend, ONNX Runtime Web with its webgpu or wasm execution provider.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type * as onnxruntime from 'onnxruntime-web';
import type { Model } from '../../src/graph/model.ts';
import { onnxNames } from './onnx-names.ts';
import type { PeerRuntime } from './measure-peer.ts';
import { tfjsSession } from './tfjs-model.ts';

export type Tfjs = typeof tfjs;
export type Ort = typeof onnxruntime;

/**
 * TensorFlow.js on `backend`, initialised before anything is timed (as our GPU device is): the model build with its
 * weight layout changes, upload and first inference count as its first result.
 */
export async function tfjsRuntime(
  tf: Tfjs,
  backend: 'webgpu' | 'wasm',
  model: Model,
  describeBackend: () => Record<string, unknown> = () => ({}),
): Promise<PeerRuntime> {
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js could not initialise its ${backend} backend`);
  await tf.ready();
  return {
    peer: backend === 'webgpu' ? 'tfjs-webgpu' : 'tfjs-wasm',
    info: () => ({
      library: 'TensorFlow.js',
      version: tf.version.tfjs,
      backend: tf.getBackend(),
      ...describeBackend(),
    }),
    open: async () => tfjsSession(tf, model),
  };
}

/**
 * ONNX Runtime Web with one execution provider on the .onnx bytes the benchmark wrote from the same model. The wasm
 * provider gets `threads` threads; the WebGPU provider one (its work is on the GPU, and in Node its bundle cannot start
 * wasm threads: "fetch failed").
 */
export function ortRuntime(ort: Ort, ep: 'webgpu' | 'wasm', onnx: Uint8Array, model: Model, threads: number): PeerRuntime {
  ort.env.wasm.numThreads = ep === 'webgpu' ? 1 : threads;
  const { channels, height, width } = model.input;
  return {
    peer: ep === 'webgpu' ? 'ort-webgpu' : 'ort-wasm',
    info: () => ({
      library: 'ONNX Runtime Web',
      version: ort.env.versions?.web,
      executionProvider: ep,
      wasmThreads: ort.env.wasm.numThreads,
      crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated ?? null,
    }),
    open: async () => {
      const session = await ort.InferenceSession.create(onnx, { executionProviders: [ep], graphOptimizationLevel: 'all' });
      return {
        async run(input: Float32Array): Promise<Float32Array> {
          const outputs = await session.run({ [onnxNames.input]: new ort.Tensor('float32', input, [1, channels, height, width]) });
          return outputs[onnxNames.logits].data as Float32Array;
        },
        dispose: () => session.release(),
      };
    },
  };
}
