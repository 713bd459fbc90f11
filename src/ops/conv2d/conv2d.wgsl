// 2D convolution with fused bias and activation, as an implicit GEMM (no im2col buffer).
// Layout: activations channels-last with channels padded to vec4; weights [ky][kx][inChannel][outColumn] with the
// output columns of this chunk padded to a multiple of TILE_N4 vec4s, so weight reads need no bounds check.
// One invocation computes a register tile of TILE_M consecutive output pixels in one row × TILE_N4·4 output channels;
// the tile loops are unrolled by the template (SwiftShader keeps nothing in registers otherwise). No workgroup memory:
// on a CPU driver barriers cost more than they save. Invocations are numbered flat, output-channel blocks fastest (so
// neighbours share input reads and one pipeline serves every layer); overflow of the grid's x folds into y.
// Grouped convolutions: the weights are block-diagonal (zero outside a column's group), and an invocation loops only
// over the input vec4s its tile's groups read (all of them when groups = 1). Padding before the input is padTop and
// padLeft; padding after it needs nothing: pixels outside the input read as zero. A batch's images follow one another
// in both tensors (as if stacked into one taller image); the tiles are numbered over all of them, image by image.

const TILE_M = ${TILE_M}u;
const TILE_N4 = ${TILE_N4}u;
override WG_X: u32 = 64u;

struct Params {
  inWidth: u32,
  inHeight: u32,
  inC4: u32,
  outWidth: u32,
  outHeight: u32,
  outC4: u32,
  kernel: u32,
  stride: u32,
  padTop: u32,
  padLeft: u32,
  inPerGroup: u32,
  outPerGroup: u32,
  outChannels: u32,
  tilesPerRow: u32,
  columnBlocks: u32,
  pixelTiles: u32,
  batch: u32,
  chunkCols4: u32,
  chunkValidCols4: u32,
  chunkOffset4: u32,
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
  if (index >= params.columnBlocks * params.pixelTiles * params.batch) { return; }
  let col4 = (index % params.columnBlocks) * TILE_N4;
  let imageTile = index / params.columnBlocks;
  let image = imageTile / params.pixelTiles;
  let tile = imageTile % params.pixelTiles;
  let inRow0 = image * params.inHeight;
  let oy = tile / params.tilesPerRow;
  let ox0 = (tile % params.tilesPerRow) * TILE_M;

  let cols4 = params.chunkCols4;
  let inC4 = params.inC4;
  // The input vec4s [c4First, c4End) that hold the groups of this tile's output channels.
  let firstOut = (params.chunkOffset4 + col4) * 4u;
  let lastOut = min(firstOut + TILE_N4 * 4u, params.outChannels) - 1u;
  let c4First = (firstOut / params.outPerGroup) * params.inPerGroup / 4u;
  let c4End = ((lastOut / params.outPerGroup + 1u) * params.inPerGroup + 3u) / 4u;
  //#unroll m TILE_M
  //#unroll n TILE_N4
  var acc${m}_${n} = vec4f(0.0);
  //#end
  //#end

  for (var ky = 0u; ky < params.kernel; ky++) {
    let iy = i32(oy * params.stride + ky) - i32(params.padTop);
    if (iy < 0 || iy >= i32(params.inHeight)) { continue; }
    for (var kx = 0u; kx < params.kernel; kx++) {
      //#unroll m TILE_M
      let ix${m} = i32((ox0 + ${m}u) * params.stride + kx) - i32(params.padLeft);
      let inside${m} = ix${m} >= 0 && ix${m} < i32(params.inWidth);
      let base${m} = ((inRow0 + u32(iy)) * params.inWidth + u32(select(0, ix${m}, inside${m}))) * inC4;
      //#end
      var row = ((ky * params.kernel + kx) * inC4 + c4First) * 4u * cols4 + col4;
      for (var c4 = c4First; c4 < c4End; c4++) {
        //#unroll m TILE_M
        let a${m} = select(vec4f(0.0), input[base${m} + c4], inside${m});
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
    }
  }

  // One bias read per column, outside the branches: SwiftShader compiles each read in a branch as masked SIMD code.
  //#unroll n TILE_N4
  let bias${n} = bias[col4 + ${n}u];
  //#end
  //#unroll m TILE_M
  if (ox0 + ${m}u < params.outWidth) {
    let pixel = ((image * params.outHeight + oy) * params.outWidth + ox0 + ${m}u) * params.outC4 + params.chunkOffset4 + col4;
    //#unroll n TILE_N4
    if (col4 + ${n}u < params.chunkValidCols4) {
      output[pixel + ${n}u] = activate(acc${m}_${n} + bias${n}, params.activation);
    }
    //#end
  }
  //#end
}
