// Flatten a channels-last tensor into a CHW-ordered vector (torch's order, and the order of node ids), so the dense
// layer after it and the backtracking both index features as c·H·W + y·W + x. One invocation per feature; the grid's
// z is the image of a batch (images follow one another in both tensors, the output's `outStride` floats apart).

struct Params {
  width: u32,
  height: u32,
  channels: u32,
  paddedChannels: u32,
  outStride: u32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let plane = params.width * params.height;
  let index = id.x;
  if (index >= params.channels * plane) { return; }
  let c = index / plane;
  let pixel = index % plane;
  let image = id.z;
  output[image * params.outStride + index] = input[(image * plane + pixel) * params.paddedChannels + c];
}
