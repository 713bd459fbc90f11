// Attention map, step 1 of 4: count the fixations falling on each photo pixel. One invocation per fixation.

struct Params {
  points: u32,
  width: u32,
}

@group(0) @binding(0) var<storage, read> points: array<vec2u>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x >= params.points) { return; }
  let p = points[id.x];
  atomicAdd(&counts[p.y * params.width + p.x], 1u);
}
