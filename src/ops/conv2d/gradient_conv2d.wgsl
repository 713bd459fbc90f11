// d score / d input of a convolution, gathered: one invocation per input element (c, y, x) sums, over the output
// channels of c's group and the kernel taps that met (y, x), weight × the output's pre-activation gradient (the
// output gradient times the activation's slope at the output). Weights OIHW as the spec stores them.

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
  kernel: u32,
  stride: u32,
  top: u32,
  left: u32,
  inPerGroup: u32,
  outPerGroup: u32,
  activation: u32,
}

@group(0) @binding(2) var<storage, read> output: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

//#include gradient_store
//#include activation_slope

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flatIndex(id, groups);
  if (e >= params.elements) { return; }
  let el = elementOf(e);
  let k = params.kernel;
  let s = params.stride;
  let group = el.channel / params.inPerGroup;
  let i = el.channel % params.inPerGroup;
  var sum = 0.0;
  for (var ky = 0u; ky < k; ky++) {
    // Output row oy met input row y through tap ky when oy·s + ky − top = y.
    let row = i32(el.y) + i32(params.top) - i32(ky);
    if (row < 0 || row % i32(s) != 0) { continue; }
    let oy = u32(row) / s;
    if (oy >= params.outHeight) { continue; }
    for (var kx = 0u; kx < k; kx++) {
      let column = i32(el.x) + i32(params.left) - i32(kx);
      if (column < 0 || column % i32(s) != 0) { continue; }
      let ox = u32(column) / s;
      if (ox >= params.outWidth) { continue; }
      for (var o = 0u; o < params.outPerGroup; o++) {
        let oc = group * params.outPerGroup + o;
        let at = outAt(oc, oy, ox);
        let pre = outGradient[at] * activationSlope(output[at], params.activation);
        sum += weight[((oc * params.inPerGroup + i) * k + ky) * k + kx] * pre;
      }
    }
  }
  storeGradient(el.at, sum);
}
