// What dense.wgsl and dense_workgroup.wgsl share, so that one host (DenseOp) drives either: the params, the bindings
// and the fused activations.

struct Params {
  inC4: u32,
  rows: u32,
  rowOffset: u32,
  activation: u32,
  // The output's padding lanes [padFrom, padTo) are written 0 by the last chunk's first row, so the vector stays
  // zero-padded when its buffer is shared with other tensors.
  padFrom: u32,
  padTo: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read> weights: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

//#include activation
