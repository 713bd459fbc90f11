import { createFilledBuffer, createStorageBuffer, readBuffers } from '../gpu/buffers.ts';
import { gpuStep, requireLimit, type GpuContext } from '../gpu/context.ts';
import { Kernel } from '../gpu/kernel.ts';
import type { Point } from './geometry.ts';
import { blurRadius, gaussianTaps } from './settings.ts';

export interface AttentionResult {
  /** Normalised to [0, 1], row-major, photo-sized. */
  attention: Float32Array;
  /** 1 where the attention reaches the threshold. */
  saliency: Uint8Array;
  /** The threshold used (the adaptive one resolved). */
  threshold: number;
}

interface Buffers {
  pixels: number;
  counts: GPUBuffer;
  rows: GPUBuffer;
  density: GPUBuffer;
  mask: GPUBuffer;
  statistics: GPUBuffer;
}

/**
 * Attention and saliency maps on the GPU (shaders/attention_*.wgsl, map_statistics.wgsl): fixations counted per
 * pixel, blurred by a separable Gaussian, normalised by the maximum, thresholded. Buffers are kept for the next photo
 * of the same size or smaller, so sliders in the demo re-run only these kernels.
 */
export class AttentionMapper {
  private buffers: Buffers | null = null;

  private constructor(
    private readonly context: GpuContext,
    private readonly kernels: Record<'splat' | 'rows' | 'columns' | 'statistics' | 'normalize', Kernel>,
  ) {}

  static async create(context: GpuContext): Promise<AttentionMapper> {
    const shaders = ['attention_splat', 'attention_blur_rows', 'attention_blur_columns', 'map_statistics', 'attention_normalize'];
    const [splat, rows, columns, statistics, normalize] = await Promise.all(shaders.map((shader) => Kernel.create(context, { shader })));
    return new AttentionMapper(context, { splat, rows, columns, statistics, normalize });
  }

  private buffersFor(pixels: number): Buffers {
    if (this.buffers && this.buffers.pixels >= pixels) return this.buffers;
    this.destroyBuffers();
    requireLimit(this.context, 'maxStorageBufferBindingSize', pixels * 4, 'the attention map of this photo');
    const make = (label: string) => createStorageBuffer(this.context, label, pixels * 4);
    this.buffers = {
      pixels,
      counts: make('fixation counts'),
      rows: make('row-blurred counts'),
      density: make('attention'),
      mask: make('saliency'),
      statistics: createStorageBuffer(this.context, 'map statistics', 16),
    };
    return this.buffers;
  }

  async compute(points: readonly Point[], width: number, height: number, sigma: number, threshold: number | 'adaptive'): Promise<AttentionResult> {
    const pixels = width * height;
    for (const [x, y] of points) {
      if (!(x >= 0 && y >= 0 && x < width && y < height)) throw new RangeError(`fixation (${x}, ${y}) lies outside the ${width}×${height} photo`);
    }
    const radius = blurRadius(sigma, width, height);
    const { device } = this.context;
    const temporary: GPUBuffer[] = [];
    const keep = (buffer: GPUBuffer) => (temporary.push(buffer), buffer);
    let b!: Buffers;
    try {
      await gpuStep(this.context, 'computing the attention map', () => {
        b = this.buffersFor(pixels);
        const encoder = device.createCommandEncoder({ label: 'attention map' });
        encoder.clearBuffer(b.counts, 0, pixels * 4);
        const pass = encoder.beginComputePass({ label: 'attention map' });
        const { splat, rows, columns, statistics, normalize } = this.kernels;
        if (points.length > 0) {
          const pointData = keep(createFilledBuffer(this.context, 'fixations', Uint32Array.from(points.flat())));
          splat.dispatch(
            pass,
            splat.bindGroup({ points: pointData, counts: b.counts, params: keep(splat.uniforms({ points: points.length, width })) }),
            Math.ceil(points.length / 64),
          );
        }
        const taps = keep(createFilledBuffer(this.context, 'gaussian taps', gaussianTaps(sigma, radius)));
        const size = { width, height, radius };
        const grid = [Math.ceil(width / 8), Math.ceil(height / 8)] as const;
        rows.dispatch(pass, rows.bindGroup({ counts: b.counts, taps, rows: b.rows, params: keep(rows.uniforms(size)) }), ...grid);
        columns.dispatch(pass, columns.bindGroup({ rows: b.rows, taps, density: b.density, params: keep(columns.uniforms(size)) }), ...grid);
        statistics.dispatch(pass, statistics.bindGroup({ values: b.density, statistics: b.statistics, params: keep(statistics.uniforms({ count: pixels })) }), 1);
        const normalizeParams = keep(normalize.uniforms({ width, height, threshold: threshold === 'adaptive' ? -1 : threshold }));
        normalize.dispatch(pass, normalize.bindGroup({ statistics: b.statistics, density: b.density, mask: b.mask, params: normalizeParams }), ...grid);
        pass.end();
        device.queue.submit([encoder.finish()]);
      });
      const [attention, mask, stats] = await readBuffers(this.context, 'reading the attention map', [
        { buffer: b.density, size: pixels * 4 },
        { buffer: b.mask, size: pixels * 4 },
        { buffer: b.statistics, size: 8 },
      ]);
      const [peak, sum] = new Float32Array(stats);
      return {
        attention: peak > 0 ? new Float32Array(attention) : new Float32Array(pixels),
        saliency: Uint8Array.from(new Uint32Array(mask)),
        threshold: threshold === 'adaptive' ? (peak > 0 ? (2 * sum) / (peak * pixels) : 0) : threshold,
      };
    } finally {
      temporary.forEach((t) => t.destroy());
    }
  }

  private destroyBuffers(): void {
    if (!this.buffers) return;
    const { counts, rows, density, mask, statistics } = this.buffers;
    [counts, rows, density, mask, statistics].forEach((buffer) => buffer.destroy());
    this.buffers = null;
  }

  destroy(): void {
    this.destroyBuffers();
  }
}
