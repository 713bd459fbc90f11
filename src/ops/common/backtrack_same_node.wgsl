// Backtracking through an op that maps every node to the same node of its input (flatten, softmax) when the input has
// other consumers too, so it cannot simply share the memory vector above. One invocation per node, 64 per workgroup.

struct Params {
  vectorAbove: u32,
  parentTag: u32,
}

@group(0) @binding(0) var<storage, read_write> memoryVector: array<MemoryNode>;
@group(0) @binding(1) var<storage, read> vectorSizes: array<u32>;
@group(0) @binding(2) var<storage, read_write> selected: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> selections: array<Selection>;
@group(0) @binding(4) var<uniform> params: Params;

//#include memory_vector

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let t = id.x;
  if (t >= memorySize(params.vectorAbove)) { return; }
  let node = memoryVector[t].node;
  selectChild(node, node | params.parentTag);
  memoryVector[t].childCount += 1u;
}
