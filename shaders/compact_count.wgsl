// Compaction, step 1 of 3: how many nodes of the layer below were selected, per block of 1024 (64 invocations × 16
// consecutive nodes). Together with compact_offsets and compact_scatter this turns the selection flags into the next
// memory vector sorted by node id, whatever order the selecting invocations ran in.

const PER_INVOCATION = 16u;

struct Params {
  size: u32,
}

@group(0) @binding(0) var<storage, read> selections: array<u32>;
@group(0) @binding(1) var<storage, read_write> blockTotals: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<u32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) lane: u32) {
  let first = (group.x * 64u + lane) * PER_INVOCATION;
  var n = 0u;
  for (var i = 0u; i < PER_INVOCATION; i++) {
    let k = first + i;
    if (k < params.size && selections[k] != 0u) { n++; }
  }
  partial[lane] = n;
  workgroupBarrier();
  if (lane == 0u) {
    var total = 0u;
    for (var i = 0u; i < 64u; i++) { total += partial[i]; }
    blockTotals[group.x] = total;
  }
}
