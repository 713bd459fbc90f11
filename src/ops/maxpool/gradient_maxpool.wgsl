// d score / d input of a max-pool: one invocation per input element (c, y, x) finds, for every window that covers
// it, that window's argmax among its in-bounds positions (row-major, strict >: ties to the lowest position, as the
// backtracking; padding never) and sums the gradients of the windows whose argmax it is.

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
}

@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//#include gradient_store
//#include pool_window

fn covering(v: u32, outs: u32) -> vec2i {
  return coveringWindows(v, params.size, params.stride, params.padding, outs);
}

// The in-bounds part [start, end) of output o's window along an axis of n inputs.
fn span(o: u32, n: u32) -> vec2u {
  return windowSpan(o, params.size, params.stride, params.padding, n).xy;
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
    let ys = span(u32(oy), params.inHeight);
    for (var ox = cols.x; ox <= cols.y; ox++) {
      let xs = span(u32(ox), params.inWidth);
      var best = ys.x * params.inWidth + xs.x;
      var bestValue = input[best * params.inStride + el.channel];
      for (var y = ys.x; y < ys.y; y++) {
        for (var x = xs.x; x < xs.y; x++) {
          let value = input[(y * params.inWidth + x) * params.inStride + el.channel];
          if (value > bestValue) {
            best = y * params.inWidth + x;
            bestValue = value;
          }
        }
      }
      if (best == el.y * params.inWidth + el.x) { sum += outGradient[outAt(el.channel, u32(oy), u32(ox))]; }
    }
  }
  storeGradient(el.at, sum);
}
