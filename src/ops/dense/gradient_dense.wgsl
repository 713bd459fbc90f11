// d score / d input of a dense layer over one chunk of the forward's weight rows [rowOffset, rowOffset + rows) (each
// padded to rowStride): one invocation per input feature i sums weight[o][i] × the output's pre-activation gradient
// over the chunk's outputs o. Input and output are vectors (one pixel).

struct Params {
  elements: u32,
  accumulate: u32,
  inChannels: u32,
  inHeight: u32,
  inWidth: u32,
  inStride: u32,
  outChannels: u32,
  outHeight: u32,
  outWidth: u32,
  outStride: u32,
  rowOffset: u32,
  rows: u32,
  rowStride: u32,
  activation: u32,
}

@group(0) @binding(2) var<storage, read> output: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

//#include gradient_store
//#include activation_slope

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flatIndex(id, groups);
  if (i >= params.elements) { return; }
  var sum = 0.0;
  for (var r = 0u; r < params.rows; r++) {
    let o = params.rowOffset + r;
    sum += weight[r * params.rowStride + i] * outGradient[o] * activationSlope(output[o], params.activation);
  }
  storeGradient(i, sum);
}
