// A standalone element-wise activation (an ONNX Relu, LeakyRelu or Clip(0, 6) after an op it could not be fused into).
// Channels-last with channels padded to vec4; every activation maps 0 to 0, so padding stays 0. One invocation per
// vec4.

struct Params {
  vec4s: u32,
  activation: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

//#include activation

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 64u;
  if (i >= params.vec4s) { return; }
  output[i] = activate(input[i], params.activation);
}
