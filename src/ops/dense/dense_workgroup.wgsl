// Fully connected layer for GPUs: the same contract as dense.wgsl, one workgroup of 64 invocations per output feature.
// The invocations stride through the weight row together (neighbouring invocations read neighbouring vec4s, so the
// loads coalesce), then reduce their partial sums in workgroup memory.

//#include dense_interface

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lane: u32) {
  let r = group.x + group.y * groups.x;
  // Every invocation of a workgroup has the same r, so this return keeps the barriers below uniform.
  if (r >= params.rows) { return; }
  let row = r * params.inC4;
  var acc = vec4f(0.0);
  for (var k = lane; k < params.inC4; k += 64u) {
    acc += weights[row + k] * input[k];
  }
  partial[lane] = acc.x + acc.y + acc.z + acc.w;
  for (var stride = 32u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (lane < stride) { partial[lane] += partial[lane + stride]; }
  }
  if (lane == 0u) {
    if (r == 0u) {
      for (var p = params.padFrom; p < params.padTo; p++) { output[p] = 0.0; }
    }
    let o = params.rowOffset + r;
    output[o] = activate(vec4f(partial[0] + bias[o]), params.activation).x;
  }
}
