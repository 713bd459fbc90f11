// Compaction, step 2 of 2: every selected node of the layer below is written, in node-id order, into the next memory
// vector with its lowest parent and its number of parents, and the scratch it read is zeroed for the next layer.
// Same blocks as compact_count. A block's offset is the sum of the block totals before it (at most a few hundred);
// offsets within a block come from a serial prefix over its 64 invocations in workgroup memory. Block 0 also writes
// the new memory vector's size and the indirect dispatch (64 invocations a workgroup) of the next layer's kernel.

const WORDS_PER_INVOCATION = 16u;

//#include memory_node

struct Selection {
  count: u32,
  lowestParent: u32,
}

struct Params {
  words: u32,
  blocks: u32,
  vectorBelow: u32,
}

@group(0) @binding(0) var<storage, read_write> selected: array<u32>;
@group(0) @binding(1) var<storage, read_write> selections: array<Selection>;
@group(0) @binding(2) var<storage, read> blockTotals: array<u32>;
@group(0) @binding(3) var<storage, read_write> memoryVector: array<MemoryNode>;
@group(0) @binding(4) var<storage, read_write> vectorSizes: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> partial: array<u32, 64>;
var<workgroup> blockOffset: u32;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) lane: u32) {
  let first = (group.x * 64u + lane) * WORDS_PER_INVOCATION;
  let end = min(first + WORDS_PER_INVOCATION, params.words);
  var n = 0u;
  for (var w = first; w < end; w++) { n += countOneBits(selected[w]); }
  partial[lane] = n;
  workgroupBarrier();
  if (lane == 0u) {
    var before = 0u;
    for (var b = 0u; b < group.x; b++) { before += blockTotals[b]; }
    blockOffset = before;
    var running = 0u;
    for (var i = 0u; i < 64u; i++) {
      let c = partial[i];
      partial[i] = running;
      running += c;
    }
    if (group.x == 0u) {
      var total = 0u;
      for (var b = 0u; b < params.blocks; b++) { total += blockTotals[b]; }
      let v = params.vectorBelow * 4u;
      vectorSizes[v] = (total + 63u) / 64u;
      vectorSizes[v + 1u] = 1u;
      vectorSizes[v + 2u] = 1u;
      vectorSizes[v + 3u] = total;
    }
  }
  workgroupBarrier();
  var at = blockOffset + partial[lane];
  for (var w = first; w < end; w++) {
    var bits = selected[w];
    if (bits == 0u) { continue; }
    selected[w] = 0u;
    while (bits != 0u) {
      let node = w * 32u + firstTrailingBit(bits);
      bits &= bits - 1u;
      memoryVector[at] = MemoryNode(node, 0xFFFFFFFFu - selections[node].lowestParent, selections[node].count, 0u);
      selections[node] = Selection(0u, 0u);
      at++;
    }
  }
}
