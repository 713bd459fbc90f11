// Backtracking through a fully connected layer when every positive contribution is kept (between fc layers, and at
// the fc→spatial boundary under hysm), seen from the inputs: one invocation per VEC4S vec4s of input features walks
// the memory vector above and counts, per input i, the nodes j whose contribution w[j, i]·a[i] is positive, the first
// of them being the lowest parent. No edge needs an atomic: the inputs belong to this invocation alone (only their bits
// in the shared bitmap are set atomically). Several vec4s per invocation because on a CPU driver the loop iterations,
// not the loads, are what costs (VGG19's fc6 under hysm: 16 inputs an invocation select in about two thirds of the
// time 4 did). Weight chunks are separate dispatches, one after another, so a later chunk adds to what an
// earlier one wrote. The same pass counts each node's out-degree: what it found positive among its inputs, added to
// the node's childCount with one atomic per (invocation, node) when nonzero, so the weights are read once (a separate
// counting pass over the rows, backtrack_dense.wgsl, read VGG19's 411 MB fc6 a second time). 64 invocations per
// workgroup; overflow of the grid's x folds into y.

// memory_node.wgsl's MemoryNode, with the child count added to atomically.
struct CountedNode {
  node: u32,
  parent: u32,
  parentCount: u32,
  childCount: atomic<u32>,
}

struct Selection {
  count: u32,
  lowestParent: u32,
}

struct Params {
  inFeatures: u32,
  rowStride: u32,
  chunkFirstRow: u32,
  chunkRows: u32,
  vectorAbove: u32,
  parentTag: u32,
}

@group(0) @binding(0) var<storage, read_write> memoryVector: array<CountedNode>;
@group(0) @binding(1) var<storage, read> vectorSizes: array<u32>;
// Read as vec4s: rows and the input vector are zero-padded to a multiple of 4.
@group(0) @binding(2) var<storage, read> activations: array<vec4f>;
@group(0) @binding(3) var<storage, read> weights: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> selected: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> selections: array<Selection>;
@group(0) @binding(6) var<uniform> params: Params;

const VEC4S = ${VEC4S}u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first4 = (id.x + id.y * groups.x * 64u) * VEC4S;
  let inVec4s = (params.inFeatures + 3u) / 4u;
  if (first4 >= inVec4s) { return; }
  var nonzero = false;
  //#unroll v VEC4S
  // Past the last input: zero, which selects nothing.
  let a${v} = select(vec4f(0.0), activations[min(first4 + ${v}u, inVec4s - 1u)], first4 + ${v}u < inVec4s);
  nonzero = nonzero || any(a${v} != vec4f(0.0));
  var counts${v} = vec4u(0u);
  var lowest${v} = vec4u(0u);
  //#end
  // Zero inputs (most ReLU outputs) contribute nothing to any node.
  if (!nonzero) { return; }
  let size = vectorSizes[params.vectorAbove * 4u + 3u];
  let end = params.chunkFirstRow + params.chunkRows;
  let stride4 = params.rowStride / 4u;
  for (var t = 0u; t < size; t++) {
    let j = memoryVector[t].node;
    if (j < params.chunkFirstRow) { continue; }
    // The memory vector is sorted: no later node is in this chunk.
    if (j >= end) { break; }
    let row = (j - params.chunkFirstRow) * stride4;
    var children = vec4u(0u);
    //#unroll v VEC4S
    {
      let positive = weights[row + min(first4 + ${v}u, inVec4s - 1u)] * a${v} > vec4f(0.0);
      // The first node to select an input is its lowest parent (stored as 0xFFFFFFFF − id, as the compaction expects).
      lowest${v} = select(lowest${v}, vec4u(0xFFFFFFFFu - (j | params.parentTag)), positive & (counts${v} == vec4u(0u)));
      let one = select(vec4u(0u), vec4u(1u), positive);
      counts${v} += one;
      children += one;
    }
    //#end
    let found = children.x + children.y + children.z + children.w;
    if (found > 0u) { atomicAdd(&memoryVector[t].childCount, found); }
  }
  //#unroll v VEC4S
  for (var lane = 0u; lane < 4u; lane++) {
    let i = (first4 + ${v}u) * 4u + lane;
    if (counts${v}[lane] == 0u || i >= params.inFeatures) { continue; }
    let before = selections[i];
    // An earlier chunk's parents are lower than this chunk's: keep its lowest parent.
    selections[i] = Selection(before.count + counts${v}[lane], select(lowest${v}[lane], before.lowestParent, before.count > 0u));
    atomicOr(&selected[i >> 5u], 1u << (i & 31u));
  }
  //#end
}
