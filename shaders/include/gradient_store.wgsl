// The backward kernels' shared bindings and header (ops/common/gradient-host.ts). Every one runs one invocation per
// element of the input's gradient (channels-last, vec4-padded, like the activations; padding lanes are never written
// and stay 0): element e is channel e % inChannels of pixel e / inChannels.

@group(0) @binding(0) var<storage, read> outGradient: array<f32>;
@group(0) @binding(1) var<storage, read_write> inGradient: array<f32>;

struct Element {
  channel: u32,
  y: u32,
  x: u32,
  // Its index in the input's (and the input gradient's) buffer.
  at: u32,
}

fn elementOf(e: u32) -> Element {
  let pixel = e / params.inChannels;
  return Element(e % params.inChannels, pixel / params.inWidth, pixel % params.inWidth, pixel * params.inStride + e % params.inChannels);
}

// Index of output element (channel, y, x) in the output's (and its gradient's) buffer.
fn outAt(channel: u32, y: u32, x: u32) -> u32 {
  return (y * params.outWidth + x) * params.outStride + channel;
}

// Writes the element's gradient, or adds to it when an earlier consumer of the tensor wrote it (params.accumulate):
// one dispatch per consumer in a fixed order, so the sum is deterministic.
fn storeGradient(at: u32, value: f32) {
  if (params.accumulate == 1u) {
    inGradient[at] = inGradient[at] + value;
  } else {
    inGradient[at] = value;
  }
}

fn flatIndex(id: vec3u, groups: vec3u) -> u32 {
  return id.x + id.y * groups.x * 64u;
}
