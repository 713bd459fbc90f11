// The maximum and the sum of a non-negative map, for normalising it and for the adaptive threshold. One workgroup of
// 256 invocations strides over the map, then reduces in workgroup memory: a single pass over a photo-sized map.

struct Params {
  count: u32,
}

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read_write> statistics: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> peaks: array<f32, 256>;
var<workgroup> sums: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lane: u32) {
  var peak = 0.0;
  var sum = 0.0;
  for (var i = lane; i < params.count; i += 256u) {
    let v = values[i];
    peak = max(peak, v);
    sum += v;
  }
  peaks[lane] = peak;
  sums[lane] = sum;
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (lane < stride) {
      peaks[lane] = max(peaks[lane], peaks[lane + stride]);
      sums[lane] += sums[lane + stride];
    }
  }
  if (lane == 0u) {
    statistics[0] = peaks[0];
    statistics[1] = sums[0];
  }
}
