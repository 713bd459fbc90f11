// Fully connected layer with subgroup operations (WebGPU feature `subgroups`): the same contract as dense.wgsl, one
// workgroup of THREADS invocations per output feature (the host's choice: 32, one whole subgroup on many GPUs; on
// SwiftShader, 16–32 ran 2× faster than 64 and 3× faster than 128). The invocations stride through the weight row
// together as in dense_workgroup.wgsl; each subgroup then sums its partial sums with subgroupAdd, and the subgroup sums
// meet in workgroup memory. The subgroup size is only known at run time (1 … 128; SwiftShader's is 4), and WGSL does
// not say how invocations map to subgroups, so each subgroup's first invocation stores its sum at its own local index
// (the others store 0), and every subgroup then adds up all THREADS slots with a second subgroupAdd.

enable subgroups;

//#include dense_interface

const THREADS = ${THREADS}u;

var<workgroup> partial: array<f32, THREADS>;

@compute @workgroup_size(${THREADS})
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lane: u32,
  @builtin(subgroup_invocation_id) subLane: u32,
  @builtin(subgroup_size) subSize: u32,
) {
  let r = group.x + group.y * groups.x;
  // Every invocation of a workgroup has the same r, so this return keeps the subgroup operations and barrier uniform.
  if (r >= params.rows) { return; }
  let row = r * params.inC4;
  var acc = vec4f(0.0);
  for (var k = lane; k < params.inC4; k += THREADS) {
    acc += weights[row + k] * input[k];
  }
  let subgroupSum = subgroupAdd(acc.x + acc.y + acc.z + acc.w);
  partial[lane] = select(0.0, subgroupSum, subLane == 0u);
  workgroupBarrier();
  var mine = 0.0;
  for (var k = subLane; k < THREADS; k += subSize) { mine += partial[k]; }
  let sum = subgroupAdd(mine);
  if (lane == 0u) {
    if (r == 0u) {
      for (var p = params.padFrom; p < params.padTo; p++) { output[p] = 0.0; }
    }
    let o = params.rowOffset + r;
    output[o] = activate(vec4f(sum + bias[o]), params.activation).x;
  }
}
