// A convolution's input unrolled into patch rows (im2col), so the convolution becomes gemm.wgsl's matrix product:
// row p of the output holds output pixel p's receptive field, tap-major, a vec4 of input channels per column
// ((ky·K + kx)·inC4 + c4), zero where the window reaches into padding. Used for thin inputs (an RGB first layer), where
// the rows stay small and Winograd's transforms cost more than they save. One invocation per (pixel, column), 64 per
// workgroup; overflow of the grid's x folds into y. The window starts padTop rows above and padLeft columns left of
// the output pixel's stride position; padding after the input needs nothing (outside reads as zero). A batch's images
// follow one another in the input and in the patch rows (`pixels` rows each).

struct Params {
  inWidth: u32,
  inHeight: u32,
  inC4: u32,
  outWidth: u32,
  pixels: u32,
  kernel: u32,
  stride: u32,
  padTop: u32,
  padLeft: u32,
  columns: u32,
  batch: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> patches: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index >= params.pixels * params.columns * params.batch) { return; }
  let column = index % params.columns;
  let imagePixel = index / params.columns;
  let image = imagePixel / params.pixels;
  let pixel = imagePixel % params.pixels;
  let c4 = column % params.inC4;
  let tap = column / params.inC4;
  let iy = i32((pixel / params.outWidth) * params.stride + tap / params.kernel) - i32(params.padTop);
  let ix = i32((pixel % params.outWidth) * params.stride + tap % params.kernel) - i32(params.padLeft);
  var value = vec4f(0.0);
  if (iy >= 0 && ix >= 0 && iy < i32(params.inHeight) && ix < i32(params.inWidth)) {
    value = input[((image * params.inHeight + u32(iy)) * params.inWidth + u32(ix)) * params.inC4 + c4];
  }
  patches[index] = value;
}
