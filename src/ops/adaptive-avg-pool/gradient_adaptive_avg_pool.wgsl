// d score / d input of an adaptive average pool: one invocation per input element (c, y, x) sums, over every output
// whose window [⌊o·n / out⌋, ⌈(o + 1)·n / out⌉) holds it, that output's gradient over its window's size.

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
}

@group(0) @binding(2) var<uniform> params: Params;

//#include gradient_store

fn window(o: u32, outs: u32, n: u32) -> vec2u {
  return vec2u((o * n) / outs, ((o + 1u) * n + outs - 1u) / outs);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flatIndex(id, groups);
  if (e >= params.elements) { return; }
  let el = elementOf(e);
  var sum = 0.0;
  for (var oy = 0u; oy < params.outHeight; oy++) {
    let ys = window(oy, params.outHeight, params.inHeight);
    if (el.y < ys.x || el.y >= ys.y) { continue; }
    for (var ox = 0u; ox < params.outWidth; ox++) {
      let xs = window(ox, params.outWidth, params.inWidth);
      if (el.x < xs.x || el.x >= xs.y) { continue; }
      sum += outGradient[outAt(el.channel, oy, ox)] / f32((ys.y - ys.x) * (xs.y - xs.x));
    }
  }
  storeGradient(el.at, sum);
}
