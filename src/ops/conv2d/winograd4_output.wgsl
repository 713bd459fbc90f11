// Winograd F(4×4, 3×3), step 3 of 3: the output transform. One invocation per (tile, vec4 of output channels), 64 per
// workgroup: Y = Aᵀ M A gives the tile's 4×4 outputs, written with bias and the fused activation where they fall inside
// the output (sizes that are not multiples of 4 leave partial tiles at the right and bottom). Tiles are counted over
// all images of the batch; image b's output starts at vec4 b·outHeight·outWidth·outC4.
// Aᵀ evaluates at the points 0, 1, −1, 2, −1/2, ∞ (winograd4.ts: winograd4Matrices).

struct Params {
  outWidth: u32,
  outHeight: u32,
  outC4: u32,
  tilesX: u32,
  tilesPerImage: u32,
  batch: u32,
  activation: u32,
}

@group(0) @binding(0) var<storage, read> products: array<vec4f>;
@group(0) @binding(1) var<storage, read> bias: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

//#include activation

//#include winograd_store
//#include winograd_tile

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let index = id.x + id.y * 65535u * 64u;
  let tiles = params.batch * params.tilesPerImage;
  if (index >= tiles * params.outC4) { return; }
  let c = index % params.outC4;
  let tile = index / params.outC4;
  let stride = tiles * params.outC4;
  let at = tile * params.outC4 + c;
  //#unroll i 6
  //#unroll j 6
  let m${i}${j} = products[(${i}u * 6u + ${j}u) * stride + at];
  //#end
  //#end
  // Aᵀ M, column by column.
  //#unroll j 6
  let s0${j} = m0${j} + m1${j} + m2${j} + m3${j} + m4${j};
  let s1${j} = m1${j} - m2${j} + 2.0 * m3${j} - 0.5 * m4${j};
  let s2${j} = m1${j} + m2${j} + 4.0 * m3${j} + 0.25 * m4${j};
  let s3${j} = m1${j} - m2${j} + 8.0 * m3${j} - 0.125 * m4${j} + m5${j};
  //#end
  let origin = tileOrigin(tile, 4u);
  let image = origin.z;
  let y = origin.y;
  let x = origin.x;
  let b = bias[c];
  // (Aᵀ M) A, row by row.
  //#unroll i 4
  let row${i} = (image * params.outHeight + y + ${i}u) * params.outWidth;
  let rowInside${i} = y + ${i}u < params.outHeight;
  store(row${i}, rowInside${i}, x + 0u, c, (s${i}0 + s${i}1 + s${i}2 + s${i}3 + s${i}4) + b);
  store(row${i}, rowInside${i}, x + 1u, c, (s${i}1 - s${i}2 + 2.0 * s${i}3 - 0.5 * s${i}4) + b);
  store(row${i}, rowInside${i}, x + 2u, c, (s${i}1 + s${i}2 + 4.0 * s${i}3 + 0.25 * s${i}4) + b);
  store(row${i}, rowInside${i}, x + 3u, c, (s${i}1 - s${i}2 + 8.0 * s${i}3 - 0.125 * s${i}4 + s${i}5) + b);
  //#end
}
