// Winograd F(2×2, 3×3), step 3 of 3: the output transform. One invocation per (tile, vec4 of output channels), 64 per
// workgroup: Y = Aᵀ M A gives the tile's 2×2 outputs, written with bias and the fused activation where they fall inside
// the output (odd sizes leave half tiles). A batch's tiles are counted over all its images (`tilesPerImage` each).

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
  //#unroll i 4
  //#unroll j 4
  let m${i}${j} = products[(${i}u * 4u + ${j}u) * stride + at];
  //#end
  //#end
  // Aᵀ M, row by row.
  //#unroll j 4
  let s0${j} = m0${j} + m1${j} + m2${j};
  let s1${j} = m1${j} - m2${j} - m3${j};
  //#end
  let origin = tileOrigin(tile, 2u);
  let b = bias[c];
  // (Aᵀ M) A, row by row.
  //#unroll i 2
  let row${i} = (origin.z * params.outHeight + origin.y + ${i}u) * params.outWidth;
  let rowInside${i} = origin.y + ${i}u < params.outHeight;
  store(row${i}, rowInside${i}, origin.x, c, (s${i}0 + s${i}1 + s${i}2) + b);
  store(row${i}, rowInside${i}, origin.x + 1u, c, (s${i}1 - s${i}2 - s${i}3) + b);
  //#end
}
