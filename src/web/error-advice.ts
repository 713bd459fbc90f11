import { DeviceLostError, GpuError, GpuLimitError, NoWebGpuError } from '../gpu/errors.ts';
import { ImageInputError } from '../image/rgba-image.ts';
import { ModelFormatError } from '../loaders/format-error.ts';
import { ModelWeightsError } from '../graph/model.ts';
import { ModelShapeError } from '../model/shapes.ts';
import { CameraError } from './live-camera.ts';
import { TransferError } from '../loaders/read-bytes.ts';
import { RegistryError } from './model-registry.ts';
import { WeightsDownloadError } from './weights-get-protocol.ts';

/** What the page says about an error: a title, the error's own message, what the user can do, and whether a reload helps. */
export interface ErrorAdvice {
  kind: 'no-webgpu' | 'device-lost' | 'gpu-limit' | 'gpu' | 'model-files' | 'download' | 'image' | 'camera' | 'registry' | 'other';
  title: string;
  message: string;
  advice: string;
  offerReload: boolean;
}

export function adviceFor(error: unknown): ErrorAdvice {
  const message = error instanceof Error ? error.message : String(error);
  const advice = (kind: ErrorAdvice['kind'], title: string, what: string, offerReload = false): ErrorAdvice => ({ kind, title, message, advice: what, offerReload });
  if (error instanceof NoWebGpuError) {
    return advice('no-webgpu', 'This browser gives the page no WebGPU', 'Nothing can run without it. Try the latest Chrome or Edge, check that hardware acceleration is on (chrome://settings/system), and open the page from localhost or https.');
  }
  if (error instanceof DeviceLostError) {
    return advice('device-lost', 'The GPU device was lost', 'Reload the page to get a new device. If it keeps happening the GPU ran out of memory: close other GPU-heavy tabs and programs, or use a smaller model (Tiny Darknet).', true);
  }
  if (error instanceof GpuLimitError) {
    return advice('gpu-limit', 'This GPU is too small for the request', 'Use a smaller photo or model, or a GPU with larger limits (see the GPU panel).');
  }
  if (error instanceof GpuError) {
    return advice('gpu', 'A GPU step failed', 'Reload the page and try again; if it fails again, please report the message above.', true);
  }
  if (error instanceof ModelFormatError || error instanceof ModelWeightsError || error instanceof ModelShapeError) {
    return advice('model-files', 'These model files cannot be used', 'The message names the file and what is wrong with it. Check that the files belong together and are complete (a download may have been cut short), then load them again.');
  }
  if (error instanceof WeightsDownloadError) {
    return advice('download', 'The model could not be downloaded', 'Check the connection and click Download again: it resumes where it stopped. Offline, fetch the files by hand as the Model panel lists them under “Offline, or behind a proxy?”.');
  }
  if (error instanceof TransferError) {
    return advice('download', 'A download failed', 'Check the address and your connection, then load the model again.');
  }
  if (error instanceof ImageInputError) {
    return advice('image', 'That is not a photo the page can read', 'Drop, paste or choose a JPEG, PNG, WebP, GIF or AVIF photo.');
  }
  if (error instanceof CameraError) {
    return advice('camera', 'The webcam is not available', 'You can still drop, paste or choose a photo.');
  }
  if (error instanceof RegistryError) {
    return advice('registry', 'The model list in weights/ is broken', 'Fix or delete weights/models.json; dropping model files still works.');
  }
  return advice('other', 'Something went wrong', 'Try again; reloading the page starts afresh.', true);
}
