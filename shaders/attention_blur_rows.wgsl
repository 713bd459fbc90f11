// Attention map, step 2 of 4: blur the fixation counts along rows. One invocation per pixel, 8×8 workgroups;
// each reads 2·radius + 1 counts of its row.

struct Params {
  width: u32,
  height: u32,
  radius: u32,
}

@group(0) @binding(0) var<storage, read> counts: array<u32>;
@group(0) @binding(1) var<storage, read> taps: array<f32>;
@group(0) @binding(2) var<storage, read_write> rows: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//#include gaussian_blur

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= params.width || id.y >= params.height) { return; }
  let row = id.y * params.width;
  let x = i32(id.x);
  let r = i32(params.radius);
  var sum = taps[0] * f32(counts[row + id.x]);
  for (var d = 1; d <= r; d++) {
    let pair = counts[row + reflect101(x - d, i32(params.width))] + counts[row + reflect101(x + d, i32(params.width))];
    sum += taps[d] * f32(pair);
  }
  rows[row + id.x] = sum;
}
