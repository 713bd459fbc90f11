// Max-pool over size×size windows with a stride and padding (−∞: padded positions are skipped), channels-last vec4.
// Every window holds an input (padding ≤ size / 2), so padding channels stay max(0, …) = 0.
// One invocation per output (pixel, vec4 of channels); 64 per workgroup, flat index over the output tensor folded
// into y past 65535 workgroups; the grid's z is the image of a batch (images follow one another in both tensors).

struct Params {
  inWidth: u32,
  inHeight: u32,
  c4: u32,
  outWidth: u32,
  outHeight: u32,
  size: u32,
  stride: u32,
  padding: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

//#include pool_window

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index >= params.outWidth * params.outHeight * params.c4) { return; }
  let inImage = id.z * params.inWidth * params.inHeight * params.c4;
  let c4 = index % params.c4;
  let pixel = index / params.c4;
  let ox = pixel % params.outWidth;
  let oy = pixel / params.outWidth;
  let rows = windowSpan(oy, params.size, params.stride, params.padding, params.inHeight);
  let cols = windowSpan(ox, params.size, params.stride, params.padding, params.inWidth);
  var best = vec4f(-3.402823e38);
  for (var y = rows.x; y < rows.y; y++) {
    for (var x = cols.x; x < cols.y; x++) {
      best = max(best, input[inImage + (y * params.inWidth + x) * params.c4 + c4]);
    }
  }
  output[id.z * params.outWidth * params.outHeight * params.c4 + index] = best;
}
