// Backtracking through a fully connected layer, over one chunk of weight rows (the forward kernel's layout: rows
// zero-padded to a multiple of 4). One invocation per node j of the memory vector above whose row is in the chunk; it
// walks the row and, at the fc→spatial boundary under the official rule, selects only the largest contribution
// w[j, i]·a[i] (ties: lowest i); otherwise it counts the positive contributions, its out-degree, and leaves selecting
// them to backtrack_dense_inputs.wgsl, which does it without an atomic per edge.

struct Params {
  inFeatures: u32,
  rowStride: u32,
  chunkFirstRow: u32,
  chunkRows: u32,
  topOnly: u32,
  vectorAbove: u32,
  parentTag: u32,
}

@group(0) @binding(0) var<storage, read_write> memoryVector: array<MemoryNode>;
@group(0) @binding(1) var<storage, read> vectorSizes: array<u32>;
// Both read as vec4s: rows and the input vector are zero-padded to a multiple of 4.
@group(0) @binding(2) var<storage, read> activations: array<vec4f>;
@group(0) @binding(3) var<storage, read> weights: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> selected: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> selections: array<Selection>;
@group(0) @binding(6) var<uniform> params: Params;

//#include memory_vector

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let t = id.x;
  if (t >= memorySize(params.vectorAbove)) { return; }
  let node = memoryVector[t].node;
  if (node < params.chunkFirstRow || node >= params.chunkFirstRow + params.chunkRows) { return; }
  let row = (node - params.chunkFirstRow) * params.rowStride / 4u;
  let in4 = (params.inFeatures + 3u) / 4u;
  if (params.topOnly == 1u) {
    var best = 0u;
    var bestValue = 0.0;
    for (var i4 = 0u; i4 < in4; i4++) {
      let products = weights[row + i4] * activations[i4];
      // Lanes are visited only when one can win (ties keep the lowest i, as a strict > in order does).
      if (i4 > 0u && max(max(products.x, products.y), max(products.z, products.w)) <= bestValue) { continue; }
      for (var lane = 0u; lane < 4u; lane++) {
        let i = i4 * 4u + lane;
        if (i < params.inFeatures && (i == 0u || products[lane] > bestValue)) {
          bestValue = products[lane];
          best = i;
        }
      }
    }
    selectChild(best, node | params.parentTag);
    memoryVector[t].childCount += 1u;
    return;
  }
  var chosen = vec4u(0u);
  var i4 = 0u;
  // Four vec4s an iteration: on a CPU driver the iterations, not the loads, are what costs.
  for (; i4 + 4u <= in4; i4 += 4u) {
    //#unroll u 4
    chosen += select(vec4u(0u), vec4u(1u), weights[row + i4 + ${u}u] * activations[i4 + ${u}u] > vec4f(0.0));
    //#end
  }
  for (; i4 < in4; i4++) {
    // Padding lanes hold 0 · 0, never positive.
    chosen += select(vec4u(0u), vec4u(1u), weights[row + i4] * activations[i4] > vec4f(0.0));
  }
  memoryVector[t].childCount += chosen.x + chosen.y + chosen.z + chosen.w;
}
