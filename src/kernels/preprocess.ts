import { createStorageBuffer } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/context.ts';
import { requireLimit } from '../gpu/context.ts';
import { Kernel } from '../gpu/kernel.ts';
import { resampleGeometry, type Preprocess, type ResampleGeometry } from '../model/preprocess.ts';
import type { RgbaImage } from '../image/rgba-image.ts';
import type { GpuTensor } from '../gpu/tensor.ts';

/**
 * Host of the preprocessing (shaders/preprocess_rows.wgsl, then preprocess_columns.wgsl). The photo buffer and the
 * row-filtered scratch are kept and grown as needed, so a stream of frames of one size (the webcam) allocates once.
 */
export class PreprocessOp {
  private image: GPUBuffer | null = null;
  private rows: GPUBuffer | null = null;
  private pending: { rowsGroup: GPUBindGroup; columnsGroup: GPUBindGroup; params: GPUBuffer[]; rowsGrid: [number, number] } | null = null;

  private constructor(
    private readonly context: GpuContext,
    private readonly kernels: { rows: Kernel; columns: Kernel },
    private readonly preprocess: Preprocess,
    private readonly output: GpuTensor,
  ) {}

  static async create(context: GpuContext, preprocess: Preprocess, output: GpuTensor): Promise<PreprocessOp> {
    const [rows, columns] = await Promise.all([
      Kernel.create(context, { shader: 'preprocess_rows' }),
      Kernel.create(context, { shader: 'preprocess_columns' }),
    ]);
    return new PreprocessOp(context, { rows, columns }, preprocess, output);
  }

  private grow(buffer: GPUBuffer | null, bytes: number, label: string): GPUBuffer {
    if (buffer && buffer.size >= bytes) return buffer;
    buffer?.destroy();
    return createStorageBuffer(this.context, label, bytes);
  }

  /**
   * Uploads the photo and prepares the dispatches; returns where the photo lands in the model input. `geometry`
   * replaces the preprocessing's own placement (multi-crop evaluation takes corner crops this way).
   */
  upload(photo: RgbaImage, geometry = resampleGeometry(this.preprocess, photo.width, photo.height)): ResampleGeometry {
    const bytes = photo.width * photo.height * 4;
    requireLimit(this.context, 'maxStorageBufferBindingSize', bytes, `a ${photo.width}×${photo.height} photo`);
    const { content, source } = geometry;
    const scaleX = source.width / content.width;
    const scaleY = source.height / content.height;
    // The photo rows the vertical taps can reach, one spare each side against float rounding in the kernel.
    const supportY = Math.max(scaleY, 1);
    const rowFirst = Math.max(0, Math.floor(source.y + 0.5 * scaleY - supportY) - 1);
    const rowEnd = Math.min(photo.height, Math.ceil(source.y + (content.height - 0.5) * scaleY + supportY) + 1);
    const rowCount = Math.max(1, rowEnd - rowFirst);
    requireLimit(this.context, 'maxStorageBufferBindingSize', content.width * rowCount * 16, `the row-filtered ${photo.width}×${photo.height} photo`);
    this.image = this.grow(this.image, bytes, 'photo');
    this.rows = this.grow(this.rows, content.width * rowCount * 16, 'photo rows');
    const data = photo.data;
    this.context.device.queue.writeBuffer(this.image, 0, data.buffer, data.byteOffset, bytes);
    const pre = this.preprocess;
    this.pending?.params.forEach((b) => b.destroy());
    const { rows, columns } = this.kernels;
    const rowsParams = rows.uniforms({
      imageWidth: photo.width,
      contentWidth: content.width,
      rowFirst,
      rows: rowCount,
      sourceX: source.x,
      scaleX,
    });
    const columnsParams = columns.uniforms({
      imageHeight: photo.height,
      outWidth: pre.width,
      outHeight: pre.height,
      contentX: content.x,
      contentY: content.y,
      contentWidth: content.width,
      contentHeight: content.height,
      rowFirst,
      sourceY: source.y,
      scaleY,
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
    this.pending = {
      params: [rowsParams, columnsParams],
      rowsGroup: rows.bindGroup({ image: this.image, rowsOut: this.rows, params: rowsParams }),
      columnsGroup: columns.bindGroup({ rowsIn: this.rows, output: this.output.buffer, params: columnsParams }),
      rowsGrid: [Math.ceil(content.width / 8), Math.ceil(rowCount / 8)],
    };
    return geometry;
  }

  encode(pass: GPUComputePassEncoder): void {
    if (!this.pending) throw new Error('preprocess: no photo uploaded');
    this.kernels.rows.dispatch(pass, this.pending.rowsGroup, ...this.pending.rowsGrid);
    this.kernels.columns.dispatch(pass, this.pending.columnsGroup, Math.ceil(this.preprocess.width / 8), Math.ceil(this.preprocess.height / 8));
  }

  destroy(): void {
    this.image?.destroy();
    this.rows?.destroy();
    this.pending?.params.forEach((b) => b.destroy());
  }
}
