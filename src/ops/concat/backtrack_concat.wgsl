// Backtracking through a concatenation along channels, for one input: node (c, y, x) of the memory vector above selects
// node (c − offset, y, x) of this input when this input holds channel c. Node ids are CHW, so that is the id range
// [offset · plane, (offset + channels) · plane) shifted down by `first` = offset · plane. One invocation per node, 64 per
// workgroup.

struct Params {
  first: u32,
  count: u32,
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
  if (node < params.first || node - params.first >= params.count) { return; }
  selectChild(node - params.first, node | params.parentTag);
  memoryVector[t].childCount += 1u;
}
