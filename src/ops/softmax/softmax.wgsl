// Softmax over a vector of class scores, max-subtracted for stability. A single invocation: the vector is at most a
// few thousand classes, and one pass beats the barriers of a parallel reduction at this size.

struct Params {
  count: u32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main() {
  var peak = -3.402823e38;
  for (var i = 0u; i < params.count; i++) { peak = max(peak, input[i]); }
  var total = 0.0;
  for (var i = 0u; i < params.count; i++) {
    let e = exp(input[i] - peak);
    output[i] = e;
    total += e;
  }
  for (var i = 0u; i < params.count; i++) { output[i] = output[i] / total; }
}
