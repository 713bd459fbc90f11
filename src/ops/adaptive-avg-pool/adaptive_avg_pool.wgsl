// Adaptive average pool (torch's AdaptiveAvgPool2d) to outHeight×outWidth, channels-last vec4: output (oy, ox) is the
// mean over rows [⌊oy·H / outH⌋, ⌈(oy + 1)·H / outH⌉) × the same for columns; windows may overlap. Padding channels
// stay 0. One invocation per output (pixel, vec4 of channels); 64 per workgroup, flat index over the output tensor
// folded into y past 65535 workgroups; the grid's z is the image of a batch (images follow one another in both tensors).

struct Params {
  inWidth: u32,
  inHeight: u32,
  c4: u32,
  outWidth: u32,
  outHeight: u32,
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
  let rows = adaptiveSpan(oy, params.outHeight, params.inHeight);
  let cols = adaptiveSpan(ox, params.outWidth, params.inWidth);
  var sum = vec4f(0.0);
  for (var y = rows.x; y < rows.y; y++) {
    for (var x = cols.x; x < cols.y; x++) {
      sum += input[inImage + (y * params.inWidth + x) * params.c4 + c4];
    }
  }
  output[id.z * params.outWidth * params.outHeight * params.c4 + index] = sum / f32((rows.y - rows.x) * (cols.y - cols.x));
}
