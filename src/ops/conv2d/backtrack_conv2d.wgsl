// Backtracking through a convolution. One invocation per node (oc, oy, ox) of the memory vector above:
// 1. for every input channel of the node's group, the sum of w·a over its receptive field (padding counts as zero);
// 2. the strongest of those channels (ties: lowest channel; a depthwise node's group is its one channel);
// 3. `hysm`: the strongest single product w·a inside that channel's window (in bounds; ties: lowest position);
//    `official`: the window centre S·y − P + (K − 1)/2 with P the top or left padding, clamped into the input.
// Weights are [outChannel][ky][kx][span4 vec4s from the vec4 holding the group's first input channel] (big layers in
// chunks of output channels, one dispatch each) and activations channels-last, so step 1 reads both as vec4s of input
// channels, lanes aligned: four channel sums at once, each summed over the window in the same order as one at a time
// would. Lanes outside the group have zero weights and are never chosen. 64 invocations per workgroup.

struct Params {
  inWidth: u32,
  inHeight: u32,
  inC4: u32,
  outWidth: u32,
  outHeight: u32,
  kernel: u32,
  stride: u32,
  padTop: u32,
  padLeft: u32,
  inPerGroup: u32,
  outPerGroup: u32,
  span4: u32,
  chunkFirstChannel: u32,
  chunkChannels: u32,
  centre: u32,
  vectorAbove: u32,
  parentTag: u32,
}

@group(0) @binding(0) var<storage, read_write> memoryVector: array<MemoryNode>;
@group(0) @binding(1) var<storage, read> vectorSizes: array<u32>;
// Both read as vec4s of input channels: pixel strides and weight rows are multiples of 4.
@group(0) @binding(2) var<storage, read> activations: array<vec4f>;
@group(0) @binding(3) var<storage, read> weights: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> selected: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> selections: array<Selection>;
@group(0) @binding(6) var<uniform> params: Params;

//#include memory_vector

/**
 * Index (in vec4s) of weight row `row`'s vec4 `local` (input channels from (c4First + local)·4, c4First the row's
 * group's first vec4) at (ky, kx), and of a pixel's vec4 c4.
 */
fn weightAt(row: u32, ky: u32, kx: u32, local: u32) -> u32 {
  return ((row * params.kernel + ky) * params.kernel + kx) * params.span4 + local;
}

fn pixelAt(iy: u32, ix: u32, c4: u32) -> u32 {
  return (iy * params.inWidth + ix) * params.inC4 + c4;
}

fn product(row: u32, c4First: u32, channel: u32, ky: u32, kx: u32, iy: u32, ix: u32) -> f32 {
  let c4 = channel / 4u;
  return weights[weightAt(row, ky, kx, c4 - c4First)][channel % 4u] * activations[pixelAt(iy, ix, c4)][channel % 4u];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let t = id.x;
  if (t >= memorySize(params.vectorAbove)) { return; }
  let node = memoryVector[t].node;
  let plane = params.outWidth * params.outHeight;
  let oc = node / plane;
  let oy = (node % plane) / params.outWidth;
  let ox = node % params.outWidth;
  if (oc < params.chunkFirstChannel || oc >= params.chunkFirstChannel + params.chunkChannels) { return; }
  let row = oc - params.chunkFirstChannel;
  // The node's group's input channels [inFirst, inEnd), in the vec4s [c4First, c4End).
  let inFirst = (oc / params.outPerGroup) * params.inPerGroup;
  let inEnd = inFirst + params.inPerGroup;
  let c4First = inFirst / 4u;
  let c4End = (inEnd + 3u) / 4u;
  let y0 = i32(oy * params.stride) - i32(params.padTop);
  let x0 = i32(ox * params.stride) - i32(params.padLeft);
  // The receptive field clipped to the input: padding contributes zero, so it is skipped.
  let kyFirst = u32(max(0, -y0));
  let kyEnd = u32(clamp(i32(params.inHeight) - y0, 0, i32(params.kernel)));
  let kxFirst = u32(max(0, -x0));
  let kxEnd = u32(clamp(i32(params.inWidth) - x0, 0, i32(params.kernel)));

  // The window's taps, unrolled (TAPS = K·K, a define): where each reads its weights and its input pixel, and whether
  // the pixel is inside the input (padding contributes zero). The channel loop then does all taps per iteration.
  //#unroll t TAPS
  let ky${t} = ${t}u / params.kernel;
  let kx${t} = ${t}u % params.kernel;
  let inside${t} = (ky${t} >= kyFirst) & (ky${t} < kyEnd) & (kx${t} >= kxFirst) & (kx${t} < kxEnd);
  let w${t} = weightAt(row, ky${t}, kx${t}, 0u);
  let p${t} = select(0u, pixelAt(u32(y0 + i32(ky${t})), u32(x0 + i32(kx${t})), 0u), inside${t});
  //#end
  // Per lane, the best sum and the vec4 it came from (strict >, so the lowest channel of a lane keeps ties); lanes
  // outside the group never win. No branch per vec4: SwiftShader runs a branch as masked SIMD code.
  var laneBest = vec4f(0.0);
  var laneC4 = vec4u(c4First);
  var laneSeen = vec4<bool>(false);
  for (var c4 = c4First; c4 < c4End; c4++) {
    var sums = vec4f(0.0);
    //#unroll t TAPS
    sums += select(vec4f(0.0), weights[w${t} + c4 - c4First] * activations[p${t} + c4], inside${t});
    //#end
    let channels = vec4u(c4 * 4u) + vec4u(0u, 1u, 2u, 3u);
    let valid = (channels >= vec4u(inFirst)) & (channels < vec4u(inEnd));
    let better = valid & (!laneSeen | (sums > laneBest));
    laneBest = select(laneBest, sums, better);
    laneC4 = select(laneC4, vec4u(c4), better);
    laneSeen = laneSeen | valid;
  }
  // The strongest lane; equal sums go to the lower channel.
  var bestChannel = inFirst;
  var bestSum = 0.0;
  var found = false;
  for (var lane = 0u; lane < 4u; lane++) {
    let channel = laneC4[lane] * 4u + lane;
    let sum = laneBest[lane];
    if (laneSeen[lane] && (!found || sum > bestSum || (sum == bestSum && channel < bestChannel))) {
      bestSum = sum;
      bestChannel = channel;
      found = true;
    }
  }

  var y: u32;
  var x: u32;
  if (params.centre == 1u) {
    let half = i32((params.kernel - 1u) / 2u);
    y = u32(clamp(y0 + half, 0, i32(params.inHeight) - 1));
    x = u32(clamp(x0 + half, 0, i32(params.inWidth) - 1));
  } else {
    var best = 0.0;
    var first = true;
    for (var ky = kyFirst; ky < kyEnd; ky++) {
      for (var kx = kxFirst; kx < kxEnd; kx++) {
        let iy = u32(y0 + i32(ky));
        let ix = u32(x0 + i32(kx));
        let p = product(row, c4First, bestChannel, ky, kx, iy, ix);
        if (first || p > best) {
          best = p;
          y = iy;
          x = ix;
          first = false;
        }
      }
    }
  }
  selectChild((bestChannel * params.inHeight + y) * params.inWidth + x, node | params.parentTag);
  memoryVector[t].childCount += 1u;
}
