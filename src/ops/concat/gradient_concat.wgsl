// d score / d input i of a concat: input channel c is output channel offset + c, at the same pixel.

struct Params {
  elements: u32,
  accumulate: u32,
  inChannels: u32,
  inHeight: u32,
  inWidth: u32,
  inStride: u32,
  outChannels: u32,
  outHeight: u32,
  outWidth: u32,
  outStride: u32,
  offset: u32,
}

@group(0) @binding(2) var<uniform> params: Params;

//#include gradient_store

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flatIndex(id, groups);
  if (e >= params.elements) { return; }
  let el = elementOf(e);
  storeGradient(el.at, outGradient[outAt(params.offset + el.channel, el.y, el.x)]);
}
