// Batched matrix product for GPUs: the same contract as gemm.wgsl (C[b] = A[b] · B[b] (+ bias, activation), same
// layouts and params), tiled through workgroup memory. A workgroup of 16×16 invocations computes a 64-row × 64-column
// block; each invocation 4 rows × one vec4 of columns. K advances 16 at a time: the workgroup stages a 64×16 slice of
// A and a 16×64 slice of B in workgroup memory (one vec4 load per invocation each), so every global load is shared by
// 16 invocations. The batch is the grid's z.

//#include gemm_interface

var<workgroup> aTile: array<vec4f, 256>; // [64 rows][4 vec4s of k]
var<workgroup> bTile: array<vec4f, 256>; // [16 k][16 vec4 columns]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u, @builtin(local_invocation_index) lane: u32) {
  let batch = group.z;
  let row0 = group.y * 64u;
  let col0 = group.x * 16u;
  let aBase = batch * params.rows;
  let bBase = batch * params.k4 * 4u;
  // What this invocation stages: A row lane/4, k-vec4 lane%4; B k-row lane/16, column lane%16.
  let aRow = min(row0 + lane / 4u, params.rows - 1u);
  let aK = lane % 4u;
  let bK = lane / 16u;
  let bCol = col0 + lane % 16u;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k4 = 0u; k4 < params.k4; k4 += 4u) {
    aTile[lane] = select(vec4f(0.0), a[(aBase + aRow) * params.k4 + k4 + aK], k4 + aK < params.k4);
    let kRow = k4 * 4u + bK;
    bTile[lane] = select(vec4f(0.0), b[(bBase + kRow) * params.cols4 + bCol], kRow < params.k4 * 4u && bCol < params.cols4);
    workgroupBarrier();
    for (var kk = 0u; kk < 4u; kk++) {
      let w0 = bTile[(kk * 4u) * 16u + local.x];
      let w1 = bTile[(kk * 4u + 1u) * 16u + local.x];
      let w2 = bTile[(kk * 4u + 2u) * 16u + local.x];
      let w3 = bTile[(kk * 4u + 3u) * 16u + local.x];
      let r = local.y * 4u;
      let a0 = aTile[r * 4u + kk];
      let a1 = aTile[(r + 1u) * 4u + kk];
      let a2 = aTile[(r + 2u) * 4u + kk];
      let a3 = aTile[(r + 3u) * 4u + kk];
      acc0 += a0.x * w0 + a0.y * w1 + a0.z * w2 + a0.w * w3;
      acc1 += a1.x * w0 + a1.y * w1 + a1.z * w2 + a1.w * w3;
      acc2 += a2.x * w0 + a2.y * w1 + a2.z * w2 + a2.w * w3;
      acc3 += a3.x * w0 + a3.y * w1 + a3.z * w2 + a3.w * w3;
    }
    workgroupBarrier();
  }
  let col4 = col0 + local.x;
  if (col4 >= params.validCols4) { return; }
  let results = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < 4u; r++) {
    let row = row0 + local.y * 4u + r;
    if (row < params.rows) {
      var value = results[r];
      if (params.epilogue == 1u) { value = activate(value + bias[col4], params.activation); }
      c[(aBase + row) * params.validCols4 + col4] = value;
    }
  }
}
