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
  // Branch-free (SwiftShader's JIT and its lanes pay for every branch): each of the four lanes keeps its own best,
  // strictly greater in increasing i, so the lowest i of its maximum; lanes past inFeatures are −∞ and never win.
  // −∞ as a run-time value (a constant one is an error in WGSL).
  let minusInfinity = vec4f(bitcast<f32>(0xff800000u | (params.inFeatures & 0u)));
  var bestValues = minusInfinity;
  var bestIndices = vec4u(0u, 1u, 2u, 3u);
  for (var i4 = 0u; i4 < in4; i4++) {
    let indices = vec4u(i4 * 4u) + vec4u(0u, 1u, 2u, 3u);
    let products = select(minusInfinity, weights[row + i4] * activations[i4], indices < vec4u(params.inFeatures));
    let better = products > bestValues;
    bestValues = select(bestValues, products, better);
    bestIndices = select(bestIndices, indices, better);
  }
  // The largest of the four, the lowest index among equals: what one strict > over i in order would keep.
  var best = bestIndices.x;
  var bestValue = bestValues.x;
  for (var lane = 1u; lane < 4u; lane++) {
    let wins = bestValues[lane] > bestValue || (bestValues[lane] == bestValue && bestIndices[lane] < best);
    best = select(best, bestIndices[lane], wins);
    bestValue = select(bestValue, bestValues[lane], wins);
  }
  selectChild(best, node | params.parentTag);
  memoryVector[t].childCount += 1u;
}
