// Softmax over a vector of class scores, max-subtracted for stability. A single invocation: the vector is at most a
// few thousand classes, and one pass beats the barriers of a parallel reduction at this size. A batch runs one
// workgroup per image, each image's vector `stride` floats (its padded length) after the one before.

struct Params {
  count: u32,
  stride: u32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main(@builtin(workgroup_id) image: vec3u) {
  let base = image.x * params.stride;
  var peak = -3.402823e38;
  for (var i = 0u; i < params.count; i++) { peak = max(peak, input[base + i]); }
  var total = 0.0;
  for (var i = 0u; i < params.count; i++) {
    let e = exp(input[base + i] - peak);
    output[base + i] = e;
    total += e;
  }
  for (var i = 0u; i < params.count; i++) { output[base + i] = output[base + i] / total; }
}
