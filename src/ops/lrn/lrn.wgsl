// Local response normalisation across channels: b[c] = a[c] / (bias + alpha / size · Σ a[j]²)^beta, the sum over the
// channels j in [c − before, c + after] that exist. Channels-last with channels padded to vec4: one invocation per
// output vec4 of one pixel, each of its four channels summing its own window (windows are a few channels: AlexNet's
// and GoogLeNet's are 5); padding channels are written 0.

struct Params {
  vec4s: u32,
  c4: u32,
  channels: u32,
  before: u32,
  after: u32,
  alphaOverSize: f32,
  beta: f32,
  bias: f32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 64u;
  if (i >= params.vec4s) { return; }
  let pixelStart = (i / params.c4) * params.c4 * 4u;
  var result = vec4f(0.0);
  for (var lane = 0u; lane < 4u; lane++) {
    let c = (i % params.c4) * 4u + lane;
    if (c >= params.channels) { break; }
    let first = select(0u, c - params.before, c >= params.before);
    let last = min(c + params.after, params.channels - 1u);
    var squares = 0.0;
    for (var j = first; j <= last; j++) {
      let a = input[pixelStart + j];
      squares += a * a;
    }
    result[lane] = input[pixelStart + c] / pow(params.bias + params.alphaOverSize * squares, params.beta);
  }
  output[i] = result;
}
