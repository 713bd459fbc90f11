// Fully connected layer over a batch, with fused bias and activation, over one chunk of weight rows: the contract of
// dense.wgsl for IMAGES images at once, so each weight vec4 is read once for all of them (VGG's fc6 is 411 MB of
// weights and memory-bound: five crops cost about one pass over the weights instead of five). One invocation per
// output feature walks its weight row in vec4s with IMAGES accumulators (unrolled: SwiftShader keeps no array in
// registers). Images [firstImage, firstImage + IMAGES) of the batch; each image's input is inC4 vec4s after the one
// before, its output `outStride` floats. Per image the sums are taken in dense.wgsl's order, so results match it.

const IMAGES = ${IMAGES}u;

struct Params {
  inC4: u32,
  rows: u32,
  rowOffset: u32,
  activation: u32,
  // The output's padding lanes [padFrom, padTo) of every image are written 0 by the last chunk's first row (see
  // dense_interface.wgsl).
  padFrom: u32,
  padTo: u32,
  firstImage: u32,
  outStride: u32,
}

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read> weights: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

//#include activation

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let r = id.x;
  let inC4 = params.inC4;
  if (r == 0u) {
    for (var i = 0u; i < IMAGES; i++) {
      let out = (params.firstImage + i) * params.outStride;
      for (var p = params.padFrom; p < params.padTo; p++) { output[out + p] = 0.0; }
    }
  }
  if (r >= params.rows) { return; }
  let row = r * inC4;
  //#unroll i IMAGES
  let in${i} = (params.firstImage + ${i}u) * inC4;
  var acc${i} = vec4f(0.0);
  //#end
  for (var k = 0u; k < inC4; k++) {
    let w = weights[row + k];
    //#unroll i IMAGES
    acc${i} += w * input[in${i} + k];
    //#end
  }
  let o = params.rowOffset + r;
  let b = bias[o];
  //#unroll i IMAGES
  output[(params.firstImage + ${i}u) * params.outStride + o] = activate(vec4f(acc${i}.x + acc${i}.y + acc${i}.z + acc${i}.w + b), params.activation).x;
  //#end
}
