// Backtracking through a max-pool: each node of the memory vector above selects the argmax of its window (ties: the
// lowest position). One invocation per node, 64 per workgroup.

struct Params {
  inWidth: u32,
  inHeight: u32,
  inPixelStride: u32,
  outWidth: u32,
  outHeight: u32,
  size: u32,
  stride: u32,
  vectorAbove: u32,
  parentTag: u32,
}

@group(0) @binding(0) var<storage, read_write> memoryVector: array<MemoryNode>;
@group(0) @binding(1) var<storage, read> vectorSizes: array<u32>;
@group(0) @binding(2) var<storage, read> activations: array<f32>;
@group(0) @binding(3) var<storage, read_write> selected: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> selections: array<Selection>;
@group(0) @binding(5) var<uniform> params: Params;

//#include memory_vector

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let t = id.x;
  if (t >= memorySize(params.vectorAbove)) { return; }
  let node = memoryVector[t].node;
  let plane = params.outWidth * params.outHeight;
  let channel = node / plane;
  let oy = (node % plane) / params.outWidth;
  let ox = node % params.outWidth;
  var bestY = oy * params.stride;
  var bestX = ox * params.stride;
  var best = activations[(bestY * params.inWidth + bestX) * params.inPixelStride + channel];
  for (var dy = 0u; dy < params.size; dy++) {
    for (var dx = 0u; dx < params.size; dx++) {
      let y = oy * params.stride + dy;
      let x = ox * params.stride + dx;
      let a = activations[(y * params.inWidth + x) * params.inPixelStride + channel];
      if (a > best) {
        best = a;
        bestY = y;
        bestX = x;
      }
    }
  }
  selectChild((channel * params.inHeight + bestY) * params.inWidth + bestX, node | params.parentTag);
  memoryVector[t].childCount += 1u;
}
