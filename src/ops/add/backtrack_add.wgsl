// Backtracking through an add, for one of its two inputs (`activations`; `other` is the other summand): node n of the
// memory vector above selects node n of this input when
// `official`: this summand is the larger at n (ties: the first input), the branch the CNN-Fixations code follows;
// `hysm`: this summand is positive at n, or neither is and this one is the larger (ties: the first input).
// One invocation per node, 64 per workgroup.

struct Params {
  plane: u32,
  pixelStride: u32,
  isFirst: u32,
  hysm: u32,
  vectorAbove: u32,
  parentTag: u32,
}

@group(0) @binding(0) var<storage, read_write> memoryVector: array<MemoryNode>;
@group(0) @binding(1) var<storage, read> vectorSizes: array<u32>;
@group(0) @binding(2) var<storage, read> activations: array<f32>;
@group(0) @binding(3) var<storage, read> other: array<f32>;
@group(0) @binding(4) var<storage, read_write> selected: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> selections: array<Selection>;
@group(0) @binding(6) var<uniform> params: Params;

//#include memory_vector

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let t = id.x;
  if (t >= memorySize(params.vectorAbove)) { return; }
  let node = memoryVector[t].node;
  let channel = node / params.plane;
  let pixel = node % params.plane;
  let mine = activations[pixel * params.pixelStride + channel];
  let theirs = other[pixel * params.pixelStride + channel];
  let larger = mine > theirs || (mine == theirs && params.isFirst == 1u);
  var chosen = larger;
  if (params.hysm == 1u) { chosen = mine > 0.0 || (theirs <= 0.0 && larger); }
  if (chosen) {
    selectChild(node, node | params.parentTag);
    memoryVector[t].childCount += 1u;
  }
}
