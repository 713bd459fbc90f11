// Backtracking through a global average pool: channel node c selects, in channel c of the layer below,
// `hysm`: every position with a positive activation; `official`: the argmax (ties: lowest position).
// One invocation per node, 64 per workgroup; it walks the channel's whole plane.

struct Params {
  width: u32,
  height: u32,
  pixelStride: u32,
  argmaxOnly: u32,
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
  let channel = memoryVector[t].node;
  let plane = params.width * params.height;
  if (params.argmaxOnly == 1u) {
    var best = 0u;
    var bestValue = activations[channel];
    for (var p = 1u; p < plane; p++) {
      let a = activations[p * params.pixelStride + channel];
      if (a > bestValue) {
        bestValue = a;
        best = p;
      }
    }
    selectChild(channel * plane + best, channel | params.parentTag);
    memoryVector[t].childCount += 1u;
    return;
  }
  var chosen = 0u;
  for (var p = 0u; p < plane; p++) {
    if (activations[p * params.pixelStride + channel] > 0.0) {
      selectChild(channel * plane + p, channel | params.parentTag);
      chosen++;
    }
  }
  memoryVector[t].childCount += chosen;
}
