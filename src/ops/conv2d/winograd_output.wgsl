// Winograd F(2×2, 3×3), step 3 of 3: the output transform. One invocation per (tile, vec4 of output channels), 64 per
// workgroup: Y = Aᵀ M A gives the tile's 2×2 outputs, written with bias and the fused activation where they fall inside
// the output (odd sizes leave half tiles). A batch's tiles are counted over all its images (`tiles` per image).

struct Params {
  outWidth: u32,
  outHeight: u32,
  outC4: u32,
  tilesX: u32,
  tiles: u32,
  batch: u32,
  activation: u32,
}

@group(0) @binding(0) var<storage, read> products: array<vec4f>;
@group(0) @binding(1) var<storage, read> bias: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

//#include activation

fn store(image: u32, y: u32, x: u32, c: u32, value: vec4f) {
  if (y < params.outHeight && x < params.outWidth) {
    output[((image * params.outHeight + y) * params.outWidth + x) * params.outC4 + c] = activate(value + bias[c], params.activation);
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let index = id.x + id.y * 65535u * 64u;
  let allTiles = params.tiles * params.batch;
  if (index >= allTiles * params.outC4) { return; }
  let c = index % params.outC4;
  let imageTile = index / params.outC4;
  let image = imageTile / params.tiles;
  let tile = imageTile % params.tiles;
  let stride = allTiles * params.outC4;
  let at = imageTile * params.outC4 + c;
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
  let y = (tile / params.tilesX) * 2u;
  let x = (tile % params.tilesX) * 2u;
  store(image, y, x, c, s00 + s01 + s02);
  store(image, y, x + 1u, c, s01 - s02 - s03);
  store(image, y + 1u, x, c, s10 + s11 + s12);
  store(image, y + 1u, x + 1u, c, s11 - s12 - s13);
}
