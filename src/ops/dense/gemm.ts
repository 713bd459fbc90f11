import type { GpuContext } from '../../gpu/context.ts';
import type { GpuTensor } from '../../gpu/tensor.ts';
import type { GemmTile } from '../common/kernel-choices.ts';
import { BiasedGemmOp, paddedColumns4 } from '../conv2d/gemm.ts';
import type { DenseLayer } from './spec.ts';

/**
 * The register tile of a batch's dense GEMM: a row per image (up to 8), so an invocation reads each weight vec4 once
 * for all of them. Measured on SwiftShader for fc6 (25088 → 4096, 5 images, bench/dense-batch.ts): 870 ms with
 * 5 × 16, 1.20 s with 8 × 16, against 2.07 s for dense_batch.wgsl and 5.39 s for five single-image passes.
 */
function batchTile(batch: number): GemmTile {
  return { tileM: Math.min(batch, 8), tileN4: 4, threads: 64 };
}

/** Bytes of the GEMM's weights (Wᵀ, one binding, unsplit). */
function gemmWeightBytes(layer: DenseLayer, batch: number): number {
  return Math.ceil(layer.inFeatures / 4) * 4 * paddedColumns4(Math.ceil(layer.outFeatures / 4), batchTile(batch)) * 16;
}

/** A batch's dense layer runs as a GEMM when its transposed weights fit one binding (dense_batch.wgsl otherwise). */
export function denseGemmApplies(layer: DenseLayer, batch: number, bindingLimit: number): boolean {
  return batch > 1 && gemmWeightBytes(layer, batch) <= bindingLimit;
}

/** B = Wᵀ: [inFeature padded to 4][outFeature, columns padded to paddedCols4·4], the 1×1 convolution's layout. */
export function denseGemmWeights(layer: DenseLayer, paddedCols4: number): Float32Array {
  const { inFeatures, outFeatures, weight } = layer;
  const width = paddedCols4 * 4;
  const out = new Float32Array(Math.ceil(inFeatures / 4) * 4 * width);
  // Blocks of 64 inputs: each block's rows of W stay in cache while their columns of Wᵀ are written (fc6: 411 MB).
  for (let ic0 = 0; ic0 < inFeatures; ic0 += 64) {
    const icEnd = Math.min(ic0 + 64, inFeatures);
    for (let oc = 0; oc < outFeatures; oc++) {
      const row = oc * inFeatures;
      for (let ic = ic0; ic < icEnd; ic++) out[ic * width + oc] = weight[row + ic];
    }
  }
  return out;
}

/**
 * A dense layer over a batch as the convolutions' GEMM (src/ops/conv2d/gemm.ts): A is the input itself (a row of
 * inC4 vec4s per image), C the output (a row of outC4 vec4s per image), bias and activation fused; padding columns
 * come out activate(0 + 0) = 0. The weights are in the GEMM's layout, not the row chunks the backtracking and the
 * gradients read: those run on batch-1 models (GpuModel.copyImageInto).
 */
export class DenseGemmOp extends BiasedGemmOp {
  static async create(context: GpuContext, layer: DenseLayer, input: GpuTensor, output: GpuTensor): Promise<DenseGemmOp> {
    const gemm = { ...layer, rows: output.batch, weights: (paddedCols4: number) => denseGemmWeights(layer, paddedCols4) };
    return new DenseGemmOp(...(await BiasedGemmOp.prepare(context, gemm, input, output, batchTile(output.batch))));
  }
}
