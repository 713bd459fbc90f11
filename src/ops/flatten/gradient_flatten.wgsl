// d score / d input of a flatten: input (c, y, x) is feature (c·H + y)·W + x of the output vector (CHW order).

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
}

@group(0) @binding(2) var<uniform> params: Params;

//#include gradient_store

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flatIndex(id, groups);
  if (e >= params.elements) { return; }
  let el = elementOf(e);
  storeGradient(el.at, outGradient[(el.channel * params.inHeight + el.y) * params.inWidth + el.x]);
}
