// d score / d input of an LRN from its input a: with Dᵢ = bias + α/n · Σ_{j ∈ W(i)} aⱼ² (W(i) = [i − before,
// i + after]), one invocation per input element k computes g_k · D_k^−β − 2αβ/n · a_k · Σ gᵢ · aᵢ · Dᵢ^(−β−1) over
// the outputs i whose window holds k (i ∈ [k − after, k + before]), each Dᵢ summed again.

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
  before: u32,
  after: u32,
  alphaOverSize: f32,
  beta: f32,
  bias: f32,
}

@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//#include gradient_store

fn base(channel: u32, pixelAt: u32) -> f32 {
  let first = u32(max(0, i32(channel) - i32(params.before)));
  let last = min(params.inChannels - 1u, channel + params.after);
  var squares = 0.0;
  for (var j = first; j <= last; j++) {
    let a = input[pixelAt + j];
    squares += a * a;
  }
  return params.bias + params.alphaOverSize * squares;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flatIndex(id, groups);
  if (e >= params.elements) { return; }
  let el = elementOf(e);
  let pixelAt = el.at - el.channel;
  let k = el.channel;
  var sum = 0.0;
  let first = u32(max(0, i32(k) - i32(params.after)));
  let last = min(params.inChannels - 1u, k + params.before);
  for (var i = first; i <= last; i++) {
    sum += outGradient[pixelAt + i] * input[pixelAt + i] * pow(base(i, pixelAt), -params.beta - 1.0);
  }
  let own = outGradient[el.at] * pow(base(k, pixelAt), -params.beta);
  storeGradient(el.at, own - 2.0 * params.alphaOverSize * params.beta * input[el.at] * sum);
}
