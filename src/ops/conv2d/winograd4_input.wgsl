// Winograd F(4×4, 3×3), step 1 of 3: the input transform. One invocation per (4×4 output tile, vec4 of input
// channels), 64 per workgroup: it loads the tile's 6×6 input patch (zero outside the image: padding) and writes
// V = Bᵀ d B, 36 vec4s, one per transform position ξ, laid out [ξ][tile][c4] for the GEMM of step 2. Tiles are counted
// over all images of the batch, image after image; image b's input starts at vec4 b·inHeight·inWidth·c4. Padding may
// differ per side: the patch starts padTop rows above and padLeft columns left of the tile.
// Bᵀ is the Cook–Toom matrix of the points 0, 1, −1, 2, −1/2, ∞ (winograd4.ts: winograd4Matrices; its rows are
// written out below): in float32 it loses 2–3× fewer digits than Lavin & Gray's 0, ±1, ±2, ∞.

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
  let origin = tileOrigin(tile, 4u);
  let image = origin.z;
  let y0 = i32(origin.y) - i32(params.padTop);
  let x0 = i32(origin.x) - i32(params.padLeft);
  //#unroll k 6
  let row${k} = (image * params.inHeight + clampedTo(y0 + ${k}, params.inHeight)) * params.inWidth;
  let rowInside${k} = inside(y0 + ${k}, params.inHeight);
  let col${k} = clampedTo(x0 + ${k}, params.inWidth);
  let colInside${k} = inside(x0 + ${k}, params.inWidth);
  //#end
  //#unroll i 6
  //#unroll j 6
  let d${i}${j} = select(vec4f(0.0), input[(row${i} + col${j}) * params.c4 + c], rowInside${i} & colInside${j});
  //#end
  //#end
  // Bᵀ d, column by column.
  //#unroll j 6
  let t0${j} = d0${j} + 1.5 * d1${j} - 2.0 * d2${j} - 1.5 * d3${j} + d4${j};
  let t1${j} = -d1${j} - 2.5 * d2${j} - 0.5 * d3${j} + d4${j};
  let t2${j} = d1${j} + 0.5 * d2${j} - 2.5 * d3${j} + d4${j};
  let t3${j} = -0.5 * d1${j} - d2${j} + 0.5 * d3${j} + d4${j};
  let t4${j} = 2.0 * d1${j} - d2${j} - 2.0 * d3${j} + d4${j};
  let t5${j} = d1${j} + 1.5 * d2${j} - 2.0 * d3${j} - 1.5 * d4${j} + d5${j};
  //#end
  // (Bᵀ d) B, row by row.
  let stride = tiles * params.c4;
  let at = tile * params.c4 + c;
  //#unroll i 6
  transformed[(${i}u * 6u + 0u) * stride + at] = t${i}0 + 1.5 * t${i}1 - 2.0 * t${i}2 - 1.5 * t${i}3 + t${i}4;
  transformed[(${i}u * 6u + 1u) * stride + at] = -t${i}1 - 2.5 * t${i}2 - 0.5 * t${i}3 + t${i}4;
  transformed[(${i}u * 6u + 2u) * stride + at] = t${i}1 + 0.5 * t${i}2 - 2.5 * t${i}3 + t${i}4;
  transformed[(${i}u * 6u + 3u) * stride + at] = -0.5 * t${i}1 - t${i}2 + 0.5 * t${i}3 + t${i}4;
  transformed[(${i}u * 6u + 4u) * stride + at] = 2.0 * t${i}1 - t${i}2 - 2.0 * t${i}3 + t${i}4;
  transformed[(${i}u * 6u + 5u) * stride + at] = t${i}1 + 1.5 * t${i}2 - 2.0 * t${i}3 - 1.5 * t${i}4 + t${i}5;
  //#end
}
