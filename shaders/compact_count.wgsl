// Compaction, step 1 of 2: how many nodes of the layer below were selected, per block of 1024 bitmap words
// (64 invocations × 16 consecutive words: 32 768 nodes). With compact_scatter this turns the selection bitmap into the
// next memory vector sorted by node id, whatever order the selecting invocations ran in.

const WORDS_PER_INVOCATION = 16u;

struct Params {
  words: u32,
}

@group(0) @binding(0) var<storage, read> selected: array<u32>;
@group(0) @binding(1) var<storage, read_write> blockTotals: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<u32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) lane: u32) {
  let first = (group.x * 64u + lane) * WORDS_PER_INVOCATION;
  let end = min(first + WORDS_PER_INVOCATION, params.words);
  var n = 0u;
  for (var w = first; w < end; w++) { n += countOneBits(selected[w]); }
  partial[lane] = n;
  workgroupBarrier();
  if (lane == 0u) {
    var total = 0u;
    for (var i = 0u; i < 64u; i++) { total += partial[i]; }
    blockTotals[group.x] = total;
  }
}
