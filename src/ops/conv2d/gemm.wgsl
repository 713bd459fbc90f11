// Batched matrix product with an optional fused epilogue: C[b] = A[b] · B[b] (+ bias, activation).
// Used by Winograd F(2×2, 3×3) (16 batches, one per transform position; raw products) and by 1×1 convolutions
// (1 batch: rows are pixels, A is the channels-last activation itself; bias and activation fused).
// Layouts, in vec4s: A [batch][row][k4], B [batch][k][column] with columns padded to a multiple of TILE_N4,
// C [batch][row][validCols4].
// One invocation computes TILE_M rows × TILE_N4·4 columns in registers (tile loops unrolled by the template: SwiftShader
// keeps nothing in registers otherwise). Invocations are numbered flat, column blocks fastest, so neighbours share the
// rows they read and one pipeline serves every shape; the batch is the grid's z, overflow of x folds into y.
// No workgroup memory: on a CPU driver barriers cost more than they save (see gemm_tiled.wgsl for GPUs).

const TILE_M = ${TILE_M}u;
const TILE_N4 = ${TILE_N4}u;
override WG_X: u32 = 64u;

//#include gemm_interface

@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * WG_X;
  if (index >= params.columnBlocks * params.rowBlocks) { return; }
  let col4 = (index % params.columnBlocks) * TILE_N4;
  let row0 = (index / params.columnBlocks) * TILE_M;
  let batch = id.z;
  let k4 = params.k4;
  let cols4 = params.cols4;
  //#unroll m TILE_M
  // Rows past the last read the last row again; their results are not written.
  let a${m}Base = (batch * params.rows + min(row0 + ${m}u, params.rows - 1u)) * k4;
  //#unroll n TILE_N4
  var acc${m}_${n} = vec4f(0.0);
  //#end
  //#end
  var row = batch * k4 * 4u * cols4 + col4;
  for (var k = 0u; k < k4; k++) {
    //#unroll m TILE_M
    let a${m} = a[a${m}Base + k];
    //#end
    //#unroll n TILE_N4
    {
      let w0 = b[row + ${n}u];
      let w1 = b[row + cols4 + ${n}u];
      let w2 = b[row + 2u * cols4 + ${n}u];
      let w3 = b[row + 3u * cols4 + ${n}u];
      //#unroll m TILE_M
      acc${m}_${n} = acc${m}_${n} + a${m}.x * w0 + a${m}.y * w1 + a${m}.z * w2 + a${m}.w * w3;
      //#end
    }
    //#end
    row += 4u * cols4;
  }
  // Without an epilogue the bias binding is B itself, multiplied by 0 (and the activation is linear). One read per
  // column and no branch per value: SwiftShader compiles each as masked SIMD code, 32 times over in an 8×4 tile.
  let biasScale = f32(params.epilogue);
  //#unroll n TILE_N4
  let bias${n} = bias[col4 + ${n}u] * biasScale;
  //#end
  //#unroll m TILE_M
  if (row0 + ${m}u < params.rows) {
    let out = (batch * params.rows + row0 + ${m}u) * params.validCols4 + col4;
    //#unroll n TILE_N4
    if (col4 + ${n}u < params.validCols4) {
      c[out + ${n}u] = activate(acc${m}_${n} + bias${n}, params.activation);
    }
    //#end
  }
  //#end
}
