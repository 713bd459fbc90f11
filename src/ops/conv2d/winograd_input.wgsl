// Winograd F(2×2, 3×3), step 1 of 3: the input transform. One invocation per (2×2 output tile, vec4 of input
// channels), 64 per workgroup: it loads the tile's 4×4 input patch (zero outside the image: padding) and writes
// V = Bᵀ d B, 16 vec4s, one per transform position ξ, laid out [ξ][tile][c4] for the GEMM of step 2. Padding may differ
// per side: the patch starts padTop rows above and padLeft columns left of the tile; beyond the input it reads zero.
// A batch's tiles are counted over all its images (`tilesPerImage` each, image after image), as are the GEMM's rows.

struct Params {
  inWidth: u32,
  inHeight: u32,
  c4: u32,
  tilesX: u32,
  tilesPerImage: u32,
  batch: u32,
  padTop: u32,
  padLeft: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> transformed: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

//#include winograd_tile

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let index = id.x + id.y * 65535u * 64u;
  let tiles = params.batch * params.tilesPerImage;
  if (index >= tiles * params.c4) { return; }
  let c = index % params.c4;
  let tile = index / params.c4;
  let origin = tileOrigin(tile, 2u);
  let image = origin.z;
  let y0 = i32(origin.y) - i32(params.padTop);
  let x0 = i32(origin.x) - i32(params.padLeft);
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
  let stride = tiles * params.c4;
  let at = tile * params.c4 + c;
  //#unroll i 4
  transformed[(${i}u * 4u + 0u) * stride + at] = t${i}0 - t${i}2;
  transformed[(${i}u * 4u + 1u) * stride + at] = t${i}1 + t${i}2;
  transformed[(${i}u * 4u + 2u) * stride + at] = t${i}2 - t${i}1;
  transformed[(${i}u * 4u + 3u) * stride + at] = t${i}1 - t${i}3;
  //#end
}
