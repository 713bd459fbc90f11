// d score / d input of an op that is an activation of its input, or of a sum of its inputs (a standalone activation,
// either summand of an add; input and output share one layout): the output gradient times the slope at the output.

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
  activation: u32,
}

@group(0) @binding(2) var<storage, read> output: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//#include gradient_store
//#include activation_slope

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flatIndex(id, groups);
  if (e >= params.elements) { return; }
  let at = elementOf(e).at;
  storeGradient(at, outGradient[at] * activationSlope(output[at], params.activation));
}
