import type { GradientReference } from '../common/op-definition.ts';
import type { LrnSpec } from './index.ts';

/**
 * d score / d input of an LRN, from its input a: with Dᵢ = bias + α/n · Σ_{j ∈ W(i)} aⱼ², bᵢ = aᵢ · Dᵢ^−β, so
 * ∂b/∂a_k = g_k · D_k^−β − 2αβ/n · a_k · Σ_{i : k ∈ W(i)} gᵢ · aᵢ · Dᵢ^(−β−1), per position.
 */
export const lrnGradientReference: GradientReference<LrnSpec> = {
  input(layer, _inputIndex, outGradient, [input], _output, [shape]) {
    const plane = shape.height * shape.width;
    // The forward's window (lrnWindow): [c − ⌊(size − 1) / 2⌋, c + ⌈(size − 1) / 2⌉].
    const before = Math.floor((layer.size - 1) / 2);
    const after = Math.ceil((layer.size - 1) / 2);
    const inGradient = new Float64Array(input.length);
    const scale = layer.alpha / layer.size;
    const base = new Float64Array(shape.channels);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < shape.channels; c++) {
        let squares = 0;
        for (let j = Math.max(0, c - before); j <= Math.min(shape.channels - 1, c + after); j++) squares += input[j * plane + p] ** 2;
        base[c] = layer.bias + scale * squares;
      }
      for (let i = 0; i < shape.channels; i++) {
        const at = i * plane + p;
        inGradient[at] += outGradient[at] * base[i] ** -layer.beta;
        const common = 2 * scale * layer.beta * outGradient[at] * input[at] * base[i] ** (-layer.beta - 1);
        // Input k is in output i's window when i − before ≤ k ≤ i + after.
        for (let k = Math.max(0, i - before); k <= Math.min(shape.channels - 1, i + after); k++) inGradient[k * plane + p] -= common * input[k * plane + p];
      }
    }
    return inGradient;
  },
};
