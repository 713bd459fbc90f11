// Winograd F(2×2, 3×3), step 2 of 3: sixteen independent GEMMs, one per transform position ξ (the z of the grid):
// M[ξ] (tiles × outChannels) = V[ξ] (tiles × inChannels) · U[ξ] (inChannels × outChannels).
// U is the weights' transform G g Gᵀ, made on the CPU at upload, laid out [ξ][inChannel][column] with columns padded to
// a multiple of TILE_N4 vec4s. One invocation computes TILE_M tiles × TILE_N4·4 output channels in registers (unrolled
// by the template, as conv2d.wgsl); WG_X invocations across output-channel blocks × WG_Y across tiles; no workgroup memory.

const TILE_M = ${TILE_M}u;
const TILE_N4 = ${TILE_N4}u;
override WG_X: u32 = 16u;
override WG_Y: u32 = 4u;

struct Params {
  tiles: u32,
  c4: u32,
  cols4: u32,
  validCols4: u32,
}

@group(0) @binding(0) var<storage, read> transformed: array<vec4f>;
@group(0) @binding(1) var<storage, read> weights: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> products: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let col4 = id.x * TILE_N4;
  let tile0 = id.y * TILE_M;
  let xi = id.z;
  if (col4 >= params.validCols4 || tile0 >= params.tiles) { return; }
  let c4 = params.c4;
  let cols4 = params.cols4;
  //#unroll m TILE_M
  // Rows past the last tile read the last tile again; their results are not written.
  let a${m}Base = (xi * params.tiles + min(tile0 + ${m}u, params.tiles - 1u)) * c4;
  //#unroll n TILE_N4
  var acc${m}_${n} = vec4f(0.0);
  //#end
  //#end
  var row = xi * c4 * 4u * cols4 + col4;
  for (var c = 0u; c < c4; c++) {
    //#unroll m TILE_M
    let a${m} = transformed[a${m}Base + c];
    //#end
    //#unroll n TILE_N4
    {
      let w0 = weights[row + ${n}u];
      let w1 = weights[row + cols4 + ${n}u];
      let w2 = weights[row + 2u * cols4 + ${n}u];
      let w3 = weights[row + 3u * cols4 + ${n}u];
      //#unroll m TILE_M
      acc${m}_${n} = acc${m}_${n} + a${m}.x * w0 + a${m}.y * w1 + a${m}.z * w2 + a${m}.w * w3;
      //#end
    }
    //#end
    row += 4u * cols4;
  }
  //#unroll m TILE_M
  if (tile0 + ${m}u < params.tiles) {
    let out = (xi * params.tiles + tile0 + ${m}u) * params.validCols4 + col4;
    //#unroll n TILE_N4
    if (col4 + ${n}u < params.validCols4) { products[out + ${n}u] = acc${m}_${n}; }
    //#end
  }
  //#end
}
