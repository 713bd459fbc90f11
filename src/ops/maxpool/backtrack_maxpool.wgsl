// Backtracking through a max-pool: each node of the memory vector above selects the argmax of its window's in-bounds
// part (ties: the lowest position; padding is never selected). One invocation per node, 64 per workgroup.

struct Params {
  inWidth: u32,
  inHeight: u32,
  inPixelStride: u32,
  outWidth: u32,
  outHeight: u32,
  size: u32,
  stride: u32,
  padding: u32,
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
//#include pool_window
//#include window_selection

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let t = id.x;
  if (t >= memorySize(params.vectorAbove)) { return; }
  let node = memoryVector[t].node;
  let plane = params.outWidth * params.outHeight;
  let channel = node / plane;
  let oy = (node % plane) / params.outWidth;
  let ox = node % params.outWidth;
  let rows = windowSpan(oy, params.size, params.stride, params.padding, params.inHeight);
  let cols = windowSpan(ox, params.size, params.stride, params.padding, params.inWidth);
  let input = PoolInput(params.inWidth, params.inHeight, params.inPixelStride);
  memoryVector[t].childCount += selectInWindow(input, channel, rows.x, rows.y, cols.x, cols.y, false, node | params.parentTag);
}
