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

// Branch-free: an out-of-bounds tap reads a clamped in-bounds pixel and selects 0 instead, so the unrolled patch
// compiles as straight-line code (SwiftShader's JIT time grows with every branch). Rows and columns are clamped once.
fn clampedTo(v: i32, size: u32) -> u32 {
  return u32(clamp(v, 0, i32(size) - 1));
}

fn inside(v: i32, size: u32) -> bool {
  return (v >= 0) & (v < i32(size));
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
  //#unroll k 4
  let row${k} = (image * params.inHeight + clampedTo(y0 + ${k}, params.inHeight)) * params.inWidth;
  let rowInside${k} = inside(y0 + ${k}, params.inHeight);
  let col${k} = clampedTo(x0 + ${k}, params.inWidth);
  let colInside${k} = inside(x0 + ${k}, params.inWidth);
  //#end
  //#unroll i 4
  //#unroll j 4
  let d${i}${j} = select(vec4f(0.0), input[(row${i} + col${j}) * params.c4 + c], rowInside${i} & colInside${j});
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
