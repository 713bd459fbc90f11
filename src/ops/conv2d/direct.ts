import { createFilledBuffer } from '../../gpu/buffers.ts';
import { gpuStep, type GpuContext } from '../../gpu/context.ts';
import { Kernel } from '../../gpu/kernel.ts';
import { convGroups, convPads, type Conv2dLayer } from './spec.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import { activationCode } from '../common/activation.ts';
import { splitRows } from '../../gpu/split-rows.ts';
import { foldedGrid } from '../../gpu/dispatch.ts';
import { defaultConv2dTile, type Conv2dTile } from '../common/kernel-choices.ts';

/**
 * Weights of output-channel vec4 columns [first4, first4 + cols4) in the kernel's layout:
 * [ky][kx][inChannel padded to 4][column padded to paddedCols4·4]. Grouped convolutions are laid out block-diagonally:
 * a column holds zeros outside its group's input channels, which the direct kernel skips (see conv2d.wgsl) and the
 * GEMM of im2col multiplies.
 */
export function conv2dGpuWeights(layer: Conv2dLayer, first4: number, cols4: number, paddedCols4: number): Float32Array {
  const { kernel: k, inChannels, outChannels } = layer;
  const { inPerGroup, outPerGroup } = convGroups(layer);
  const inPadded = Math.ceil(inChannels / 4) * 4;
  const width = paddedCols4 * 4;
  const out = new Float32Array(k * k * inPadded * width);
  for (let col = 0; col < cols4 * 4; col++) {
    const oc = first4 * 4 + col;
    if (oc >= outChannels) break;
    const firstIn = Math.floor(oc / outPerGroup) * inPerGroup;
    for (let i = 0; i < inPerGroup; i++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          out[((ky * k + kx) * inPadded + firstIn + i) * width + col] = layer.weight[((oc * inPerGroup + i) * k + ky) * k + kx];
        }
      }
    }
  }
  return out;
}

/** Output-channel columns [first4, first4 + count4) of the weights, padded to paddedCols4 vec4 columns. */
export interface Conv2dWeightChunk {
  first4: number;
  count4: number;
  paddedCols4: number;
  weights: GPUBuffer;
}

interface Chunk extends Conv2dWeightChunk {
  bindGroup: GPUBindGroup;
  buffers: GPUBuffer[];
  workgroups: [number, number];
}

/** The conv2d host; its weight chunks stay on the GPU for the backtracking to read. */
export class Conv2dOp {
  private constructor(
    private readonly kernel: Kernel,
    readonly chunks: Chunk[],
  ) {}

  static async create(context: GpuContext, layer: Conv2dLayer, input: GpuTensor, output: GpuTensor, tile = defaultConv2dTile): Promise<Conv2dOp> {
    const outC4 = output.c4;
    const rowBytes = layer.kernel * layer.kernel * input.c4 * 4 * 16;
    // Chunks split output-channel columns; each holds a whole number of register tiles.
    const columnChunks = splitRows(context, `${layer.name} weights`, outC4, rowBytes, tile.tileN4);
    const kernel = await Kernel.create(context, {
      shader: 'ops/conv2d/conv2d',
      defines: { TILE_M: tile.tileM, TILE_N4: tile.tileN4 },
      constants: { WG_X: tile.threads },
    });
    const tilesPerRow = Math.ceil(output.shape.width / tile.tileM);
    const pixelTiles = tilesPerRow * output.shape.height;
    const chunks = await gpuStep(context, `uploading ${layer.name}`, () => columnChunks.map(({ first, count }) => {
      const paddedCols4 = Math.ceil(count / tile.tileN4) * tile.tileN4;
      const columnBlocks = paddedCols4 / tile.tileN4;
      const weights = createFilledBuffer(context, `${layer.name}.weight[${first}]`, conv2dGpuWeights(layer, first, count, paddedCols4));
      const biasData = new Float32Array(paddedCols4 * 4);
      for (let i = 0; i < count * 4 && first * 4 + i < layer.outChannels; i++) biasData[i] = layer.bias[first * 4 + i];
      const bias = createFilledBuffer(context, `${layer.name}.bias[${first}]`, biasData);
      const params = kernel.uniforms({
        inWidth: input.shape.width,
        inHeight: input.shape.height,
        inC4: input.c4,
        outWidth: output.shape.width,
        outHeight: output.shape.height,
        outC4,
        kernel: layer.kernel,
        stride: layer.stride,
        padTop: convPads(layer).top,
        padLeft: convPads(layer).left,
        inPerGroup: convGroups(layer).inPerGroup,
        outPerGroup: convGroups(layer).outPerGroup,
        outChannels: layer.outChannels,
        tilesPerRow,
        columnBlocks,
        pixelTiles,
        batch: output.batch,
        chunkCols4: paddedCols4,
        chunkValidCols4: count,
        chunkOffset4: first,
        activation: activationCode(layer.activation),
      });
      const bindGroup = kernel.bindGroup({ input: input.buffer, weights, bias, output: output.buffer, params });
      const workgroups = foldedGrid(columnBlocks * pixelTiles * output.batch, tile.threads);
      return { first4: first, count4: count, paddedCols4, weights, bindGroup, buffers: [weights, bias, params], workgroups };
    }));
    return new Conv2dOp(kernel, chunks);
  }

  encode(pass: GPUComputePassEncoder): void {
    for (const chunk of this.chunks) this.kernel.dispatch(pass, chunk.bindGroup, ...chunk.workgroups);
  }

  destroy(): void {
    for (const chunk of this.chunks) chunk.buffers.forEach((b) => b.destroy());
  }
}
