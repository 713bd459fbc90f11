import { createFilledBuffer, createStorageBuffer } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/context.ts';
import { requireLimit } from '../gpu/context.ts';
import { Kernel } from '../gpu/kernel.ts';
import { resampleGeometry, type Preprocess, type ResampleGeometry } from '../model/preprocess.ts';
import { resizeTaps, type AxisTaps, type ResizeTaps } from '../model/resize-taps.ts';
import type { RgbaImage } from '../image/rgba-image.ts';
import type { GpuTensor } from '../gpu/tensor.ts';

interface AxisBuffers {
  ranges: GPUBuffer;
  weights: GPUBuffer;
}

/** The tap tables of one geometry and filter on the GPU, kept while frames of the same size keep coming (the webcam). */
interface TapBuffers {
  key: string;
  taps: ResizeTaps;
  x: AxisBuffers;
  y: AxisBuffers;
  /** Photo rows the vertical taps read: [rowFirst, rowFirst + rows). */
  rowFirst: number;
  rows: number;
}

/**
 * Host of the preprocessing (shaders/preprocess_rows.wgsl, then preprocess_columns.wgsl): uploads the photo and the
 * resize filter's tap tables (src/model/resize-taps.ts) and dispatches the two passes. The photo buffer and the
 * row-filtered scratch are kept and grown as needed, the tap tables kept while the geometry stays, so a stream of
 * frames of one size allocates once.
 */
export class PreprocessOp {
  private image: GPUBuffer | null = null;
  /** The size of the photo in `image`. */
  private photo: { width: number; height: number } | null = null;
  private rows: GPUBuffer | null = null;
  private taps: TapBuffers | null = null;
  private pending: { rowsGroup: GPUBindGroup; columnsGroup: GPUBindGroup; params: GPUBuffer[]; rowsGrid: [number, number] } | null = null;

  private constructor(
    private readonly context: GpuContext,
    private readonly kernels: { rows: Kernel; columns: Kernel },
    private preprocess: Preprocess,
    private readonly output: GpuTensor,
  ) {}

  static async create(context: GpuContext, preprocess: Preprocess, output: GpuTensor): Promise<PreprocessOp> {
    const [rows, columns] = await Promise.all([
      Kernel.create(context, { shader: 'preprocess_rows' }),
      Kernel.create(context, { shader: 'preprocess_columns' }),
    ]);
    return new PreprocessOp(context, { rows, columns }, preprocess, output);
  }

  /** Another recipe of the same input size (another resize filter): used from the next upload on. */
  setPreprocess(preprocess: Preprocess): void {
    if (preprocess.width !== this.preprocess.width || preprocess.height !== this.preprocess.height) {
      throw new Error(`preprocessing makes ${preprocess.width}×${preprocess.height} inputs; the model takes ${this.preprocess.width}×${this.preprocess.height}`);
    }
    this.preprocess = preprocess;
  }

  private grow(buffer: GPUBuffer | null, bytes: number, label: string): GPUBuffer {
    if (buffer && buffer.size >= bytes) return buffer;
    buffer?.destroy();
    return createStorageBuffer(this.context, label, bytes);
  }

  private tapBuffers(geometry: ResampleGeometry): TapBuffers {
    const key = JSON.stringify([geometry, this.preprocess.resizeFilter]);
    if (this.taps?.key === key) return this.taps;
    this.destroyTaps();
    const taps = resizeTaps(geometry, this.preprocess.resizeFilter);
    const axis = (a: AxisTaps, name: string): AxisBuffers => ({
      ranges: createFilledBuffer(this.context, `${name} tap ranges`, a.ranges),
      weights: createFilledBuffer(this.context, `${name} tap weights`, a.weights),
    });
    let rowFirst = Infinity;
    let rowEnd = 0;
    for (let t = 0; t < taps.y.count; t++) {
      rowFirst = Math.min(rowFirst, taps.y.ranges[2 * t]);
      rowEnd = Math.max(rowEnd, taps.y.ranges[2 * t] + taps.y.ranges[2 * t + 1]);
    }
    this.taps = { key, taps, x: axis(taps.x, 'column'), y: axis(taps.y, 'row'), rowFirst, rows: Math.max(1, rowEnd - rowFirst) };
    return this.taps;
  }

  /**
   * Uploads the photo and prepares the dispatches; returns where the photo lands in the model input. `geometry`
   * replaces the preprocessing's own placement (multi-crop evaluation takes corner crops this way); `image` is the
   * slot of a batched input it is written to.
   */
  upload(photo: RgbaImage, geometry = resampleGeometry(this.preprocess, photo.width, photo.height), image = 0): ResampleGeometry {
    const bytes = photo.width * photo.height * 4;
    requireLimit(this.context, 'maxStorageBufferBindingSize', bytes, `a ${photo.width}×${photo.height} photo`);
    this.image = this.grow(this.image, bytes, 'photo');
    const data = photo.data;
    this.context.device.queue.writeBuffer(this.image, 0, data.buffer, data.byteOffset, bytes);
    this.photo = { width: photo.width, height: photo.height };
    return this.place(geometry, image);
  }

  /**
   * Prepares the dispatches for another placement of the photo uploaded last (another crop), into image slot `image`;
   * what was encoded before keeps its own tap tables and uniforms.
   */
  place(geometry: ResampleGeometry, image: number): ResampleGeometry {
    const photo = this.photo;
    if (!photo || !this.image) throw new Error('preprocess: no photo uploaded');
    if (!Number.isInteger(image) || image < 0 || image >= this.output.batch) {
      throw new Error(`preprocess: image slot ${image} is outside the model's batch of ${this.output.batch}`);
    }
    const { content } = geometry;
    const taps = this.tapBuffers(geometry);
    const rowBytes = content.width * taps.rows * 16;
    requireLimit(this.context, 'maxStorageBufferBindingSize', rowBytes, `the row-filtered ${photo.width}×${photo.height} photo`);
    this.rows = this.grow(this.rows, rowBytes, 'photo rows');
    const pre = this.preprocess;
    this.pending?.params.forEach((b) => b.destroy());
    const { rows, columns } = this.kernels;
    const fixedPoint = taps.taps.fixedPoint ? 1 : 0;
    const rowsParams = rows.uniforms({
      imageWidth: photo.width,
      contentWidth: content.width,
      rowFirst: taps.rowFirst,
      rows: taps.rows,
      taps: taps.taps.x.width,
      fixedPoint,
    });
    const columnsParams = columns.uniforms({
      outWidth: pre.width,
      outHeight: pre.height,
      contentX: content.x,
      contentY: content.y,
      contentWidth: content.width,
      contentHeight: content.height,
      rowFirst: taps.rowFirst,
      taps: taps.taps.y.width,
      fixedPoint,
      fill: pre.letterboxFill,
      pixelScale: pre.scale,
      bgr: pre.channelOrder === 'bgr' ? 1 : 0,
      mean0: pre.mean[0],
      mean1: pre.mean[1],
      mean2: pre.mean[2],
      std0: pre.std[0],
      std1: pre.std[1],
      std2: pre.std[2],
      outOffset: image * pre.width * pre.height * this.output.c4,
    });
    this.pending = {
      params: [rowsParams, columnsParams],
      rowsGroup: rows.bindGroup({ image: this.image, rowsOut: this.rows, params: rowsParams, tapRanges: taps.x.ranges, tapWeights: taps.x.weights }),
      columnsGroup: columns.bindGroup({ rowsIn: this.rows, output: this.output.buffer, params: columnsParams, tapRanges: taps.y.ranges, tapWeights: taps.y.weights }),
      rowsGrid: [Math.ceil(content.width / 8), Math.ceil(taps.rows / 8)],
    };
    return geometry;
  }

  encode(pass: GPUComputePassEncoder): void {
    if (!this.pending) throw new Error('preprocess: no photo uploaded');
    this.kernels.rows.dispatch(pass, this.pending.rowsGroup, ...this.pending.rowsGrid);
    this.kernels.columns.dispatch(pass, this.pending.columnsGroup, Math.ceil(this.preprocess.width / 8), Math.ceil(this.preprocess.height / 8));
  }

  private destroyTaps(): void {
    if (!this.taps) return;
    for (const b of [this.taps.x.ranges, this.taps.x.weights, this.taps.y.ranges, this.taps.y.weights]) b.destroy();
    this.taps = null;
  }

  destroy(): void {
    this.image?.destroy();
    this.rows?.destroy();
    this.destroyTaps();
    this.pending?.params.forEach((b) => b.destroy());
  }
}
