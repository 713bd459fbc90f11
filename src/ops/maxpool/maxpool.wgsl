// Max-pool over size×size windows with a stride, channels-last vec4.
// One invocation per output (pixel, vec4 of channels); 64 per workgroup, flat index over the output tensor.

struct Params {
  inWidth: u32,
  inHeight: u32,
  c4: u32,
  outWidth: u32,
  outHeight: u32,
  size: u32,
  stride: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let index = id.x;
  if (index >= params.outWidth * params.outHeight * params.c4) { return; }
  let c4 = index % params.c4;
  let pixel = index / params.c4;
  let ox = pixel % params.outWidth;
  let oy = pixel / params.outWidth;
  var best = vec4f(-3.402823e38);
  for (var dy = 0u; dy < params.size; dy++) {
    let row = (oy * params.stride + dy) * params.inWidth;
    for (var dx = 0u; dx < params.size; dx++) {
      best = max(best, input[(row + ox * params.stride + dx) * params.c4 + c4]);
    }
  }
  output[index] = best;
}
