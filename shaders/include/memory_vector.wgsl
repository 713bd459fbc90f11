// Shared by the backtrack_* kernels. Each invocation owns one node of the memory vector above: a launch of
// ⌈size / 64⌉ workgroups comes from `vectorSizes`, where each memory vector keeps its indirect dispatch arguments and,
// after them, its size. A selected child gets a bit in `selected` (what the compaction scans, 32 nodes a word), one
// more parent in `selections`, and its lowest parent, kept as 0xFFFFFFFF − id under atomicMax so that all scratch
// starts, and is left by the compaction, zero.

//#include memory_node

struct Selection {
  count: atomic<u32>,
  lowestParent: atomic<u32>,
}

fn memorySize(vector: u32) -> u32 {
  return vectorSizes[vector * 4u + 3u];
}

fn selectChild(child: u32, parent: u32) {
  atomicOr(&selected[child >> 5u], 1u << (child & 31u));
  atomicAdd(&selections[child].count, 1u);
  atomicMax(&selections[child].lowestParent, 0xFFFFFFFFu - parent);
}
