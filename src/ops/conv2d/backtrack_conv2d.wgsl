// Backtracking through a convolution. For every node (oc, oy, ox) of the memory vector above:
// 1. for every input channel of the node's group, the sum of w·a over its receptive field (padding counts as zero);
// 2. the strongest of those channels (ties: lowest channel; a depthwise node's group is its one channel);
// 3. `hysm`: the strongest single product w·a inside that channel's window (in bounds; ties: lowest position);
//    `official`: the window centre S·y − P + (K − 1)/2 with P the top or left padding, clamped into the input.
// Weights are [outChannel][ky][kx][span4 vec4s from the vec4 holding the group's first input channel] (big layers in
// chunks of output channels, one dispatch each) and activations channels-last.
//
// Step 1 is the cost (VGG19's conv5_4: 15 k nodes × 9 taps × 512 channels), and on SwiftShader a load is cheap only
// when the four invocations of a SIMD group read one address or four consecutive floats; anything else is four
// scalar loads behind four branches. So four consecutive invocations (a quad) share a node, invocation l of the quad
// taking channels ≡ l (mod 4), and read weights and pixels as floats: consecutive across the quad. Each channel's sum
// runs over the window in the same order as before (taps in order, padding adding +0), and each invocation keeps its
// channels' best as one lane of a vec4 would. A workgroup's 16 quads take its 64 nodes four rounds in turn, and after a
// barrier each invocation finishes one node: the quad's four bests (steps 2 and 3), the selection, the child count.

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
// Floats, channels innermost: pixel strides and weight rows are multiples of 4.
@group(0) @binding(2) var<storage, read> activations: array<f32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> selected: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> selections: array<Selection>;
@group(0) @binding(6) var<uniform> params: Params;

//#include memory_vector

/** Per node of the workgroup and lane (channel mod 4): the best channel sum, its vec4 and whether the lane had any. */
var<workgroup> laneBest: array<f32, 256>;
var<workgroup> laneC4: array<u32, 256>;
var<workgroup> laneSeen: array<u32, 256>;

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
  return weights[weightAt(row, ky, kx, c4 - c4First) * 4u + channel % 4u] * activations[pixelAt(iy, ix, c4) * 4u + channel % 4u];
}

/** A node of the memory vector above, decoded: its weight row in the chunk, its group and its window. */
struct Site {
  node: u32,
  /** Whether entry t exists and its output channel is in this dispatch's chunk. */
  valid: bool,
  row: u32,
  inFirst: u32,
  inEnd: u32,
  c4First: u32,
  c4End: u32,
  y0: i32,
  x0: i32,
  kyFirst: u32,
  kyEnd: u32,
  kxFirst: u32,
  kxEnd: u32,
}

fn siteOf(t: u32) -> Site {
  var s: Site;
  let exists = t < memorySize(params.vectorAbove);
  s.node = memoryVector[min(t, max(memorySize(params.vectorAbove), 1u) - 1u)].node;
  let plane = params.outWidth * params.outHeight;
  let oc = s.node / plane;
  let oy = (s.node % plane) / params.outWidth;
  let ox = s.node % params.outWidth;
  s.valid = exists & (oc >= params.chunkFirstChannel) & (oc < params.chunkFirstChannel + params.chunkChannels);
  s.row = oc - params.chunkFirstChannel;
  // The node's group's input channels [inFirst, inEnd), in the vec4s [c4First, c4End).
  s.inFirst = (oc / params.outPerGroup) * params.inPerGroup;
  s.inEnd = s.inFirst + params.inPerGroup;
  s.c4First = s.inFirst / 4u;
  s.c4End = (s.inEnd + 3u) / 4u;
  s.y0 = i32(oy * params.stride) - i32(params.padTop);
  s.x0 = i32(ox * params.stride) - i32(params.padLeft);
  // The receptive field clipped to the input: padding contributes zero, so it is skipped.
  s.kyFirst = u32(max(0, -s.y0));
  s.kyEnd = u32(clamp(i32(params.inHeight) - s.y0, 0, i32(params.kernel)));
  s.kxFirst = u32(max(0, -s.x0));
  s.kxEnd = u32(clamp(i32(params.inWidth) - s.x0, 0, i32(params.kernel)));
  return s;
}

/** Step 1 for one node and one lane: the best sum of the lane's channels, kept in workgroup slot `slot`. */
fn channelSums(s: Site, lane: u32, slot: u32) {
  // The window's taps, unrolled (TAPS = K·K, a define): where each reads its weights and its input pixel (in floats,
  // at the lane), and whether the pixel is inside the input (padding contributes zero).
  //#unroll t TAPS
  let ky${t} = ${t}u / params.kernel;
  let kx${t} = ${t}u % params.kernel;
  let inside${t} = (ky${t} >= s.kyFirst) & (ky${t} < s.kyEnd) & (kx${t} >= s.kxFirst) & (kx${t} < s.kxEnd);
  let w${t} = weightAt(s.row, ky${t}, kx${t}, 0u) * 4u + lane;
  let p${t} = select(0u, pixelAt(u32(s.y0 + i32(ky${t})), u32(s.x0 + i32(kx${t})), 0u), inside${t}) * 4u + lane;
  //#end
  // Strict >, so the lowest channel of the lane keeps ties; a lane outside the group never wins. An invalid site
  // loops zero times: the quad stays together (no branch), and the slot says "nothing seen".
  var best = 0.0;
  var bestC4 = s.c4First;
  var seen = false;
  let c4End = select(s.c4First, s.c4End, s.valid);
  for (var c4 = s.c4First; c4 < c4End; c4++) {
    let wOffset = (c4 - s.c4First) * 4u;
    let pOffset = c4 * 4u;
    var sum = 0.0;
    //#unroll t TAPS
    sum += select(0.0, weights[w${t} + wOffset] * activations[p${t} + pOffset], inside${t});
    //#end
    let channel = c4 * 4u + lane;
    let valid = (channel >= s.inFirst) & (channel < s.inEnd);
    let better = valid & (!seen | (sum > best));
    best = select(best, sum, better);
    bestC4 = select(bestC4, c4, better);
    seen = seen | valid;
  }
  laneBest[slot] = best;
  laneC4[slot] = bestC4;
  laneSeen[slot] = u32(seen);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) local: u32) {
  let base = group.x * 64u;
  let quad = local / 4u;
  let lane = local % 4u;
  for (var round = 0u; round < 4u; round++) {
    let n = round * 16u + quad;
    channelSums(siteOf(base + n), lane, n * 4u + lane);
  }
  workgroupBarrier();

  let t = base + local;
  let s = siteOf(t);
  if (!s.valid) { return; }
  // The strongest lane; equal sums go to the lower channel.
  var bestChannel = s.inFirst;
  var bestSum = 0.0;
  var found = false;
  for (var l = 0u; l < 4u; l++) {
    let slot = local * 4u + l;
    let channel = laneC4[slot] * 4u + l;
    let sum = laneBest[slot];
    if (laneSeen[slot] == 1u && (!found || sum > bestSum || (sum == bestSum && channel < bestChannel))) {
      bestSum = sum;
      bestChannel = channel;
      found = true;
    }
  }

  var y: u32;
  var x: u32;
  if (params.centre == 1u) {
    let half = i32((params.kernel - 1u) / 2u);
    y = u32(clamp(s.y0 + half, 0, i32(params.inHeight) - 1));
    x = u32(clamp(s.x0 + half, 0, i32(params.inWidth) - 1));
  } else {
    var best = 0.0;
    var first = true;
    for (var ky = s.kyFirst; ky < s.kyEnd; ky++) {
      for (var kx = s.kxFirst; kx < s.kxEnd; kx++) {
        let iy = u32(s.y0 + i32(ky));
        let ix = u32(s.x0 + i32(kx));
        let p = product(s.row, s.c4First, bestChannel, ky, kx, iy, ix);
        if (first || p > best) {
          best = p;
          y = iy;
          x = ix;
          first = false;
        }
      }
    }
  }
  selectChild((bestChannel * params.inHeight + y) * params.inWidth + x, s.node | params.parentTag);
  memoryVector[t].childCount += 1u;
}
