// Global average pool: the mean of each channel over all pixels. One invocation per vec4 of channels; the grid's z is
// the image of a batch.

struct Params {
  pixels: u32,
  c4: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let c4 = id.x;
  if (c4 >= params.c4) { return; }
  let inImage = id.z * params.pixels * params.c4;
  var sum = vec4f(0.0);
  for (var p = 0u; p < params.pixels; p++) {
    sum += input[inImage + p * params.c4 + c4];
  }
  output[id.z * params.c4 + c4] = sum / f32(params.pixels);
}
