// Element-wise sum of two tensors of one shape (a residual connection), with a fused activation. Both are
// channels-last with channels padded to vec4 (padding 0 + 0 stays 0). One invocation per vec4.

struct Params {
  vec4s: u32,
  activation: u32,
}

@group(0) @binding(0) var<storage, read> first: array<vec4f>;
@group(0) @binding(1) var<storage, read> second: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

//#include activation

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 64u;
  if (i >= params.vec4s) { return; }
  output[i] = activate(first[i] + second[i], params.activation);
}
