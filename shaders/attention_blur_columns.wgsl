// Attention map, step 3 of 4: blur the row-blurred counts along columns. One invocation per pixel, 8×8 workgroups.

struct Params {
  width: u32,
  height: u32,
  radius: u32,
}

@group(0) @binding(0) var<storage, read> rows: array<f32>;
@group(0) @binding(1) var<storage, read> taps: array<f32>;
@group(0) @binding(2) var<storage, read_write> density: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//#include gaussian_blur

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= params.width || id.y >= params.height) { return; }
  let y = i32(id.y);
  let r = i32(params.radius);
  let h = i32(params.height);
  var sum = taps[0] * rows[id.y * params.width + id.x];
  for (var d = 1; d <= r; d++) {
    sum += taps[d] * (rows[reflect101(y - d, h) * params.width + id.x] + rows[reflect101(y + d, h) * params.width + id.x]);
  }
  density[id.y * params.width + id.x] = sum;
}
