import { createStorageBuffer } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/context.ts';
import { requireLimit } from '../gpu/context.ts';
import { Kernel } from '../gpu/kernel.ts';
import { resampleGeometry, type Preprocess, type ResampleGeometry } from '../model/preprocess.ts';
import type { RgbaImage } from '../image/rgba-image.ts';
import type { GpuTensor } from '../forward/gpu-tensor.ts';

/**
 * Host of shaders/preprocess.wgsl. The photo buffer is kept and grown as needed, so a stream of frames of one size
 * (the webcam) allocates once.
 */
export class PreprocessOp {
  private image: GPUBuffer | null = null;
  private pending: { bindGroup: GPUBindGroup; params: GPUBuffer } | null = null;

  private constructor(
    private readonly context: GpuContext,
    private readonly kernel: Kernel,
    private readonly preprocess: Preprocess,
    private readonly output: GpuTensor,
  ) {}

  static async create(context: GpuContext, preprocess: Preprocess, output: GpuTensor): Promise<PreprocessOp> {
    return new PreprocessOp(context, await Kernel.create(context, { shader: 'preprocess' }), preprocess, output);
  }

  /**
   * Uploads the photo and prepares the dispatch; returns where the photo lands in the model input. `geometry` replaces
   * the preprocessing's own placement (multi-crop evaluation takes corner crops this way).
   */
  upload(photo: RgbaImage, geometry = resampleGeometry(this.preprocess, photo.width, photo.height)): ResampleGeometry {
    const bytes = photo.width * photo.height * 4;
    requireLimit(this.context, 'maxStorageBufferBindingSize', bytes, `a ${photo.width}×${photo.height} photo`);
    if (!this.image || this.image.size < bytes) {
      this.image?.destroy();
      this.image = createStorageBuffer(this.context, 'photo', bytes);
    }
    const data = photo.data;
    this.context.device.queue.writeBuffer(this.image, 0, data.buffer, data.byteOffset, Math.ceil(bytes / 4) * 4);
    const { content, source } = geometry;
    const pre = this.preprocess;
    this.pending?.params.destroy();
    const params = this.kernel.uniforms({
      imageWidth: photo.width,
      imageHeight: photo.height,
      outWidth: pre.width,
      outHeight: pre.height,
      contentX: content.x,
      contentY: content.y,
      contentWidth: content.width,
      contentHeight: content.height,
      sourceX: source.x,
      sourceY: source.y,
      scaleX: source.width / content.width,
      scaleY: source.height / content.height,
      fill: pre.letterboxFill,
      pixelScale: pre.scale,
      bgr: pre.channelOrder === 'bgr' ? 1 : 0,
      mean0: pre.mean[0],
      mean1: pre.mean[1],
      mean2: pre.mean[2],
      std0: pre.std[0],
      std1: pre.std[1],
      std2: pre.std[2],
    });
    this.pending = { params, bindGroup: this.kernel.bindGroup({ image: this.image, output: this.output.buffer, params }) };
    return geometry;
  }

  encode(pass: GPUComputePassEncoder): void {
    if (!this.pending) throw new Error('preprocess: no photo uploaded');
    this.kernel.dispatch(pass, this.pending.bindGroup, Math.ceil(this.preprocess.width / 8), Math.ceil(this.preprocess.height / 8));
  }

  destroy(): void {
    this.image?.destroy();
    this.pending?.params.destroy();
  }
}
