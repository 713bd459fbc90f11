import { createFilledBuffer } from '../../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../../gpu/context.ts';
import { Kernel } from '../../gpu/kernel.ts';
import { convGroups, convPads, type Conv2dLayer, type Conv2dSpec } from './spec.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { activationCode } from '../common/activation.ts';
import { foldedGrid } from '../../gpu/dispatch.ts';
import type { GemmTile } from '../common/kernel-choices.ts';
import { GemmOp, paddedColumns4 } from './gemm.ts';
import type { GpuOp } from '../../gpu/dispatch.ts';

/** Where a layer's tiles lie: `tilesX` per row of one image, `tilesPerImage`, and `tiles` over the whole batch. */
export interface WinogradGeometry {
  layer: Conv2dLayer;
  input: GpuTensor;
  output: GpuTensor;
  tilesX: number;
  tilesPerImage: number;
  tiles: number;
}

/**
 * One Winograd F(m×m, 3×3): its output tile side m, its (m + 2)² transform positions (one GEMM each), G for the weight
 * transform U = G g Gᵀ (float64, n × 3), and its two transform kernels (both take transformUniforms).
 */
export interface WinogradVariant {
  outputTile: 2 | 4;
  positions: number;
  g: readonly (readonly number[])[];
  shaders: { input: string; output: string };
}

/** The input and output transforms' Params, the same for every variant (shaders/include/winograd_tile.wgsl). */
export function transformUniforms({ layer, input, output, tilesX, tilesPerImage, tiles }: WinogradGeometry): { input: Record<string, number>; output: Record<string, number> } {
  const batch = tiles / tilesPerImage;
  const { top, left } = convPads(layer);
  return {
    input: { inWidth: input.shape.width, inHeight: input.shape.height, c4: input.c4, tilesX, tilesPerImage, batch, padTop: top, padLeft: left },
    output: { outWidth: output.shape.width, outHeight: output.shape.height, outC4: output.c4, tilesX, tilesPerImage, batch, activation: activationCode(layer.activation) },
  };
}

/** F(2×2, 3×3): a 4×4 input patch per 2×2 output tile; points 0, ±1, ∞. */
export const winograd2: WinogradVariant = {
  outputTile: 2,
  positions: 16,
  g: [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ],
  shaders: { input: 'ops/conv2d/winograd_input', output: 'ops/conv2d/winograd_output' },
};

/**
 * 3×3 stride-1 ungrouped convolutions with more than one vec4 of input channels: with fewer (an RGB input layer) the
 * transforms cost more than the multiply-adds they save (measured on Tiny Darknet's conv1: 65 ms Winograd, 52 ms
 * direct). Any padding, asymmetric too.
 */
export function winogradApplies(layer: Conv2dSpec): boolean {
  return layer.kernel === 3 && layer.stride === 1 && layer.inChannels > 4 && convGroups(layer).groups === 1;
}

/** Tiles of m×m outputs over `batch` images of this output size, image after image. */
export function winogradTiles(output: { width: number; height: number }, outputTile = 2, batch = 1): { tilesX: number; tilesPerImage: number; tiles: number } {
  const tilesX = Math.ceil(output.width / outputTile);
  const tilesPerImage = tilesX * Math.ceil(output.height / outputTile);
  return { tilesX, tilesPerImage, tiles: batch * tilesPerImage };
}

/** Bytes of the transformed input (V), of the products (M) and of the transformed weights (U) for this layer. */
export function winogradWorkspaceBytes(
  layer: Pick<Conv2dSpec, 'inChannels' | 'outChannels'>,
  input: GpuTensor,
  output: GpuTensor,
  variant: WinogradVariant = winograd2,
): { transformed: number; products: number; weights: number } {
  const { tiles } = winogradTiles(output.shape, variant.outputTile, output.batch);
  const { positions } = variant;
  // Columns padded for the widest register tile (16 channels), as the GEMM pads them.
  const weights = positions * Math.ceil(layer.inChannels / 4) * 4 * Math.ceil(layer.outChannels / 16) * 16 * 4;
  return { transformed: positions * tiles * input.c4 * 16, products: positions * tiles * output.c4 * 16, weights };
}

/**
 * U = G g Gᵀ in float64 for every (output, input) channel pair, rounded once to float32 and laid out
 * [ξ][inChannel padded to 4][column padded to paddedCols4·4] for gemm.wgsl.
 */
export function winogradWeights(layer: Conv2dLayer, paddedCols4: number, g: WinogradVariant['g'] = winograd2.g): Float32Array {
  const { inChannels, outChannels } = layer;
  const n = g.length;
  const inPadded = Math.ceil(inChannels / 4) * 4;
  const width = paddedCols4 * 4;
  const step = inPadded * width;
  const out = new Float32Array(n * n * step);
  const gFlat = Float64Array.from(g.flat());
  const left = new Float64Array(n * 3);
  // Output channels innermost: consecutive writes of one position plane are adjacent (VGG19's F(4×4) weights in 0.64 s
  // instead of 1.0 s, whose every write lands a row apart).
  for (let ic = 0; ic < inChannels; ic++) {
    for (let oc = 0; oc < outChannels; oc++) {
      const at = (oc * inChannels + ic) * 9;
      const w = layer.weight;
      // G g: n × 3.
      for (let i = 0; i < n; i++) {
        const [g0, g1, g2] = [gFlat[i * 3], gFlat[i * 3 + 1], gFlat[i * 3 + 2]];
        for (let j = 0; j < 3; j++) left[i * 3 + j] = g0 * w[at + j] + g1 * w[at + 3 + j] + g2 * w[at + 6 + j];
      }
      // (G g) Gᵀ: n × n, position ξ = i·n + j.
      for (let i = 0; i < n; i++) {
        const [a, b, c] = [left[i * 3], left[i * 3 + 1], left[i * 3 + 2]];
        for (let j = 0; j < n; j++) {
          out[(i * n + j) * step + ic * width + oc] = a * gFlat[j * 3] + b * gFlat[j * 3 + 1] + c * gFlat[j * 3 + 2];
        }
      }
    }
  }
  return out;
}

export interface WinogradWorkspace {
  transformed: GPUBuffer;
  products: GPUBuffer;
}

/**
 * A 3×3 stride-1 convolution as Winograd F(m×m, 3×3): input transform, (m + 2)² GEMMs, output transform. 2.25×
 * (F(2×2)) or 4× (F(4×4)) fewer multiply-adds than the direct convolution; the transforms are memory-bound and cheap
 * beside them.
 */
export class Conv2dWinogradOp implements GpuOp {
  private constructor(
    readonly variant: WinogradVariant,
    private readonly transform: { kernel: Kernel; bindGroup: GPUBindGroup; grid: [number, number] },
    private readonly gemm: GemmOp,
    private readonly untransform: { kernel: Kernel; bindGroup: GPUBindGroup; grid: [number, number] },
    private readonly owned: GPUBuffer[],
  ) {}

  static async create(
    context: GpuContext,
    layer: Conv2dLayer,
    input: GpuTensor,
    output: GpuTensor,
    workspace: WinogradWorkspace,
    tile: GemmTile,
    variant: WinogradVariant = winograd2,
  ): Promise<Conv2dWinogradOp> {
    const geometry: WinogradGeometry = { layer, input, output, ...winogradTiles(output.shape, variant.outputTile, output.batch) };
    const { tiles } = geometry;
    const uniforms = transformUniforms(geometry);
    const outC4 = output.c4;
    const transformedWeights = winogradWeights(layer, paddedColumns4(outC4, tile), variant.g);
    const biasData = new Float32Array(outC4 * 4);
    biasData.set(layer.bias);
    const [forward, backward] = await Promise.all([
      Kernel.create(context, { shader: variant.shaders.input }),
      Kernel.create(context, { shader: variant.shaders.output }),
    ]);
    const [weights, bias, p1, p3] = await gpuStep(context, `uploading ${layer.name}`, () => [
      createFilledBuffer(context, `${layer.name}.winograd`, transformedWeights),
      createFilledBuffer(context, `${layer.name}.bias`, biasData),
      forward.uniforms(uniforms.input),
      backward.uniforms(uniforms.output),
    ]);
    const gemm = await GemmOp.create(
      context,
      { label: layer.name, a: workspace.transformed, b: weights, c: workspace.products, batches: variant.positions, rows: tiles, k4: input.c4, validCols4: outC4 },
      tile,
    );
    const [transformGroup, untransformGroup] = await gpuStep(context, `preparing ${layer.name}`, () => [
      forward.bindGroup({ input: input.buffer, transformed: workspace.transformed, params: p1 }),
      backward.bindGroup({ products: workspace.products, bias, output: output.buffer, params: p3 }),
    ]);
    return new Conv2dWinogradOp(
      variant,
      { kernel: forward, bindGroup: transformGroup, grid: foldedGrid(tiles * input.c4, 64) },
      gemm,
      { kernel: backward, bindGroup: untransformGroup, grid: foldedGrid(tiles * outC4, 64) },
      [weights, bias, p1, p3],
    );
  }

  encode(pass: GPUComputePassEncoder): void {
    this.transform.kernel.dispatch(pass, this.transform.bindGroup, ...this.transform.grid);
    this.gemm.encode(pass);
    this.untransform.kernel.dispatch(pass, this.untransform.bindGroup, ...this.untransform.grid);
  }

  destroy(): void {
    this.gemm.destroy();
    this.owned.forEach((b) => b.destroy());
  }
}
