// Compaction, step 3 of 3: each selected node of the layer below is written, in node-id order, into the next memory
// vector with its lowest parent and its number of parents; the scratch it read is zeroed for the next layer.
// Same blocks as compact_count: 64 invocations × 16 consecutive nodes; the offsets within a block come from a serial
// prefix over its 64 counts in workgroup memory.

const PER_INVOCATION = 16u;

struct Params {
  size: u32,
}

@group(0) @binding(0) var<storage, read_write> selections: array<u32>;
@group(0) @binding(1) var<storage, read_write> lowestParent: array<u32>;
@group(0) @binding(2) var<storage, read> blockOffsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> memoryVector: array<u32>;
@group(0) @binding(4) var<storage, read_write> parents: array<u32>;
@group(0) @binding(5) var<storage, read_write> parentCounts: array<u32>;
@group(0) @binding(6) var<uniform> params: Params;

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
    var running = 0u;
    for (var i = 0u; i < 64u; i++) {
      let c = partial[i];
      partial[i] = running;
      running += c;
    }
  }
  workgroupBarrier();
  var at = blockOffsets[group.x] + partial[lane];
  for (var i = 0u; i < PER_INVOCATION; i++) {
    let k = first + i;
    if (k < params.size && selections[k] != 0u) {
      memoryVector[at] = k;
      parents[at] = 0xFFFFFFFFu - lowestParent[k];
      parentCounts[at] = selections[k];
      selections[k] = 0u;
      lowestParent[k] = 0u;
      at++;
    }
  }
}
