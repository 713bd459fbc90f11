// Attention map, step 4 of 4: divide by the maximum (so the map spans [0, 1]) and threshold it into the saliency mask.
// A negative threshold means adaptive: twice the normalised map's mean. One invocation per pixel, 8×8 workgroups.

struct Params {
  width: u32,
  height: u32,
  threshold: f32,
}

@group(0) @binding(0) var<storage, read> statistics: array<f32>;
@group(0) @binding(1) var<storage, read_write> density: array<f32>;
@group(0) @binding(2) var<storage, read_write> mask: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= params.width || id.y >= params.height) { return; }
  let i = id.y * params.width + id.x;
  let peak = statistics[0];
  if (peak <= 0.0) {
    mask[i] = 0u;
    return;
  }
  let v = density[i] / peak;
  density[i] = v;
  var threshold = params.threshold;
  if (threshold < 0.0) { threshold = 2.0 * statistics[1] / (peak * f32(params.width * params.height)); }
  mask[i] = select(0u, 1u, v >= threshold);
}
