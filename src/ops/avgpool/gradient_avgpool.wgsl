// d score / d input of an average pool: one invocation per input element (c, y, x) sums, over the windows that
// cover it, each window's gradient over its divisor (the forward's: the padded extent with countIncludePad, else the
// in-bounds positions).

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
  size: u32,
  stride: u32,
  padding: u32,
  countIncludePad: u32,
}

@group(0) @binding(2) var<uniform> params: Params;

//#include gradient_store
//#include pool_window

fn covering(v: u32, outs: u32) -> vec2i {
  return coveringWindows(v, params.size, params.stride, params.padding, outs);
}

// Output o's window along an axis of n: its in-bounds positions, and the positions of the padded axis it covers.
fn extent(o: u32, n: u32) -> vec2u {
  let span = windowSpan(o, params.size, params.stride, params.padding, n);
  return vec2u(span.y - span.x, span.z);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flatIndex(id, groups);
  if (e >= params.elements) { return; }
  let el = elementOf(e);
  let rows = covering(el.y, params.outHeight);
  let cols = covering(el.x, params.outWidth);
  var sum = 0.0;
  for (var oy = rows.x; oy <= rows.y; oy++) {
    let ys = extent(u32(oy), params.inHeight);
    for (var ox = cols.x; ox <= cols.y; ox++) {
      let xs = extent(u32(ox), params.inWidth);
      let count = select(ys.x * xs.x, ys.y * xs.y, params.countIncludePad == 1u);
      sum += outGradient[outAt(el.channel, u32(oy), u32(ox))] / f32(count);
    }
  }
  storeGradient(el.at, sum);
}
