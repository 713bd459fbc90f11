// d score / d input of a softmax from its output y: yᵢ · (gᵢ − Σⱼ gⱼ yⱼ); each invocation sums the dot itself.

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
}

@group(0) @binding(2) var<storage, read> output: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//#include gradient_store

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flatIndex(id, groups);
  if (i >= params.elements) { return; }
  var dot = 0.0;
  for (var j = 0u; j < params.outChannels; j++) { dot += outGradient[j] * output[j]; }
  storeGradient(i, output[i] * (outGradient[i] - dot));
}
