// Batch normalisation with its statistics folded into a per-channel scale and shift, then a fused activation:
// y = activate(x · scale[c] + shift[c]). Channels-last with channels padded to vec4; scale and shift are padded with 0,
// so padding channels stay 0. One invocation per vec4.

struct Params {
  vec4s: u32,
  c4: u32,
  activation: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read> scale: array<vec4f>;
@group(0) @binding(2) var<storage, read> shift: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

//#include activation

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 64u;
  if (i >= params.vec4s) { return; }
  let c = i % params.c4;
  output[i] = activate(input[i] * scale[c] + shift[c], params.activation);
}
