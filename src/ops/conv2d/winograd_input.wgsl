// Winograd F(2×2, 3×3), step 1 of 3: the input transform. One invocation per (2×2 output tile, vec4 of input
// channels), 64 per workgroup: it loads the tile's 4×4 input patch (zero outside the image: padding) and writes
// V = Bᵀ d B, 16 vec4s, one per transform position ξ, laid out [ξ][tile][c4] for the GEMM of step 2. Padding may differ
// per side: the patch starts padTop rows above and padLeft columns left of the tile; beyond the input it reads zero.
// A batch's tiles are counted over all its images (`tiles` per image, image t / tiles), as are the GEMM's rows.

struct Params {
  inWidth: u32,
  inHeight: u32,
  c4: u32,
  tilesX: u32,
  tiles: u32,
  batch: u32,
  padTop: u32,
  padLeft: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> transformed: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

fn inputAt(image: u32, y: i32, x: i32, c: u32) -> vec4f {
  if (y < 0 || x < 0 || y >= i32(params.inHeight) || x >= i32(params.inWidth)) { return vec4f(0.0); }
  return input[((image * params.inHeight + u32(y)) * params.inWidth + u32(x)) * params.c4 + c];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let index = id.x + id.y * 65535u * 64u;
  let allTiles = params.tiles * params.batch;
  if (index >= allTiles * params.c4) { return; }
  let c = index % params.c4;
  let imageTile = index / params.c4;
  let image = imageTile / params.tiles;
  let tile = imageTile % params.tiles;
  let y0 = i32((tile / params.tilesX) * 2u) - i32(params.padTop);
  let x0 = i32((tile % params.tilesX) * 2u) - i32(params.padLeft);
  //#unroll i 4
  //#unroll j 4
  let d${i}${j} = inputAt(image, y0 + ${i}, x0 + ${j}, c);
  //#end
  //#end
  // Bᵀ d, row by row.
  //#unroll j 4
  let t0${j} = d0${j} - d2${j};
  let t1${j} = d1${j} + d2${j};
  let t2${j} = d2${j} - d1${j};
  let t3${j} = d1${j} - d3${j};
  //#end
  // (Bᵀ d) B, column by column.
  let stride = allTiles * params.c4;
  let at = imageTile * params.c4 + c;
  //#unroll i 4
  transformed[(${i}u * 4u + 0u) * stride + at] = t${i}0 - t${i}2;
  transformed[(${i}u * 4u + 1u) * stride + at] = t${i}1 + t${i}2;
  transformed[(${i}u * 4u + 2u) * stride + at] = t${i}2 - t${i}1;
  transformed[(${i}u * 4u + 3u) * stride + at] = t${i}1 - t${i}3;
  //#end
}
