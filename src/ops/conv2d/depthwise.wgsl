// Depthwise convolution (groups = input channels = output channels) with fused bias and activation. Every output
// channel reads its own input channel only, so the channels stay in their vec4 lanes and the convolution is vec4
// multiply-adds with no reduction over channels. One invocation computes TILE_M consecutive output pixels of one row ×
// one vec4 of channels. Per kernel row it loads the SPAN input columns the TILE_M windows cover once each into `row`
// (indexed by constants only after unrolling, so it stays in registers), then the KERNEL taps, unrolled for the
// layer's kernel size and stride (defines), read the tap's weight vec4 once for all TILE_M pixels. Layout: activations
// channels-last with channels padded to vec4, weights [c4][ky][kx] vec4s (padding channels zero, so their outputs stay
// zero). No workgroup memory. Invocations are numbered flat, channel vec4s fastest (neighbours read neighbouring
// memory), WG_X a workgroup; overflow of the grid's x folds into y. Padding before the input is padTop and padLeft;
// padding after it needs nothing (outside reads as zero). A batch's images follow one another in both tensors; the
// tiles are numbered over all of them, image by image.

const TILE_M = ${TILE_M}u;
const KERNEL = ${KERNEL}u;
const STRIDE = ${STRIDE}u;
// Input columns one row of the tile's windows spans: (TILE_M − 1)·STRIDE + KERNEL.
const SPAN = ${SPAN}u;
override WG_X: u32 = 64u;

struct Params {
  inWidth: u32,
  inHeight: u32,
  c4: u32,
  outWidth: u32,
  outHeight: u32,
  padTop: u32,
  padLeft: u32,
  tilesPerRow: u32,
  tiles: u32,
  batch: u32,
  activation: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read> weights: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

//#include activation

@compute @workgroup_size(WG_X)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * WG_X;
  if (index >= params.tiles * params.c4 * params.batch) { return; }
  let c4 = index % params.c4;
  let imageTile = index / params.c4;
  let image = imageTile / params.tiles;
  let tile = imageTile % params.tiles;
  let oy = tile / params.tilesPerRow;
  let ox0 = (tile % params.tilesPerRow) * TILE_M;

  //#unroll m TILE_M
  var acc${m} = vec4f(0.0);
  //#end
  let x0 = i32(ox0 * STRIDE) - i32(params.padLeft);
  var row: array<vec4f, SPAN>;

  for (var ky = 0u; ky < KERNEL; ky++) {
    let iy = i32(oy * STRIDE + ky) - i32(params.padTop);
    if (iy < 0 || iy >= i32(params.inHeight)) { continue; }
    let rowBase = (image * params.inHeight + u32(iy)) * params.inWidth;
    // The row's input columns, each loaded once for every tap and pixel that reads it.
    //#unroll j SPAN
    {
      let ix = x0 + ${j};
      let inside = ix >= 0 && ix < i32(params.inWidth);
      row[${j}] = select(vec4f(0.0), input[(rowBase + u32(select(0, ix, inside))) * params.c4 + c4], inside);
    }
    //#end
    let weightRow = (c4 * KERNEL + ky) * KERNEL;
    //#unroll kx KERNEL
    {
      let w = weights[weightRow + ${kx}u];
      //#unroll m TILE_M
      acc${m} += row[${m}u * STRIDE + ${kx}u] * w;
      //#end
    }
    //#end
  }

  let b = bias[c4];
  //#unroll m TILE_M
  if (ox0 + ${m}u < params.outWidth) {
    output[((image * params.outHeight + oy) * params.outWidth + ox0 + ${m}u) * params.c4 + c4] = activate(acc${m} + b, params.activation);
  }
  //#end
}
