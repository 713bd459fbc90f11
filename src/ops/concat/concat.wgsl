// One input of a concatenation along channels: copies its channels of every pixel into the output at `offset`.
// Channels-last with channels padded to vec4 on both sides, and offsets need not be multiples of 4, so this works in
// scalars: one invocation per (pixel, output channel in [offset, offset + span)). `span` is the input's channel count,
// except for the last input, where it runs on to the output's padded end and writes the padding channels 0 (the output
// buffer may hold another tensor's values from earlier in the pass).

struct Params {
  pixels: u32,
  inStride: u32,
  outStride: u32,
  offset: u32,
  channels: u32,
  span: u32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 64u;
  if (i >= params.pixels * params.span) { return; }
  let pixel = i / params.span;
  let c = i % params.span;
  var value = 0.0;
  if (c < params.channels) { value = input[pixel * params.inStride + c]; }
  output[pixel * params.outStride + params.offset + c] = value;
}
