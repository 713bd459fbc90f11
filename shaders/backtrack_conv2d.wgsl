// Backtracking through a convolution. One invocation per node (oc, oy, ox) of the memory vector above:
// 1. for every input channel, the sum of w·a over the node's receptive field (padding counts as zero);
// 2. the strongest channel (ties: lowest channel);
// 3. `hysm`: the strongest single product w·a inside that channel's window (ties: lowest position);
//    `official`: the window centre S·y − P + (K − 1)/2, clamped into the input.
// Reads the weights in their canonical layout [outChannel][inChannel][ky][kx] (a node's weights are contiguous; big
// layers come in chunks of output channels, one dispatch each) and the channels-last activations. 64 invocations per
// workgroup, no workgroup memory.

struct Params {
  inWidth: u32,
  inHeight: u32,
  inChannels: u32,
  inPixelStride: u32,
  outWidth: u32,
  outHeight: u32,
  kernel: u32,
  stride: u32,
  padding: u32,
  chunkFirstChannel: u32,
  chunkChannels: u32,
  centre: u32,
  vectorAbove: u32,
}

@group(0) @binding(0) var<storage, read_write> memoryVector: array<MemoryNode>;
@group(0) @binding(1) var<storage, read> vectorSizes: array<u32>;
@group(0) @binding(2) var<storage, read> activations: array<f32>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> selected: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> selections: array<Selection>;
@group(0) @binding(6) var<uniform> params: Params;

//#include memory_vector

fn product(row: u32, channel: u32, ky: u32, kx: u32, iy: u32, ix: u32) -> f32 {
  let w = weights[((row * params.inChannels + channel) * params.kernel + ky) * params.kernel + kx];
  return w * activations[(iy * params.inWidth + ix) * params.inPixelStride + channel];
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
  let y0 = i32(oy * params.stride) - i32(params.padding);
  let x0 = i32(ox * params.stride) - i32(params.padding);
  // The receptive field clipped to the input: padding contributes zero, so it is skipped.
  let kyFirst = u32(max(0, -y0));
  let kyEnd = u32(clamp(i32(params.inHeight) - y0, 0, i32(params.kernel)));
  let kxFirst = u32(max(0, -x0));
  let kxEnd = u32(clamp(i32(params.inWidth) - x0, 0, i32(params.kernel)));

  var bestChannel = 0u;
  var bestSum = 0.0;
  for (var channel = 0u; channel < params.inChannels; channel++) {
    var sum = 0.0;
    for (var ky = kyFirst; ky < kyEnd; ky++) {
      for (var kx = kxFirst; kx < kxEnd; kx++) {
        sum += product(row, channel, ky, kx, u32(y0 + i32(ky)), u32(x0 + i32(kx)));
      }
    }
    if (channel == 0u || sum > bestSum) {
      bestSum = sum;
      bestChannel = channel;
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
        let p = product(row, bestChannel, ky, kx, iy, ix);
        if (first || p > best) {
          best = p;
          y = iy;
          x = ix;
          first = false;
        }
      }
    }
  }
  selectChild((bestChannel * params.inHeight + y) * params.inWidth + x, node);
  memoryVector[t].childCount = 1u;
}
