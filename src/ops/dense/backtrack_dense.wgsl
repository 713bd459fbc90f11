// Backtracking through a fully connected layer at the fc→spatial boundary under the official rule, over one chunk of
// weight rows (the forward kernel's layout: rows zero-padded to a multiple of 4). One invocation per node j of the
// memory vector above whose row is in the chunk; it walks the row and selects only the largest contribution
// w[j, i]·a[i] (ties: lowest i). Where every positive contribution is kept, backtrack_dense_inputs.wgsl selects them
// from the inputs' side.

struct Params {
  inFeatures: u32,
  rowStride: u32,
  chunkFirstRow: u32,
  chunkRows: u32,
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
}
