// Shared by the backtrack_* kernels. Each invocation owns one node of the memory vector above (indirect dispatch from
// its GPU-side count) and marks the nodes it selects in the layer below: `selections` counts how many parents chose a
// node (the flag the compaction reads), `lowestParent` keeps the lowest parent as 0xFFFFFFFF − id under atomicMax, so
// the scratch starts, and is left by the compaction, all zero.

fn selectChild(child: u32, parent: u32) {
  atomicAdd(&selections[child], 1u);
  atomicMax(&lowestParent[child], 0xFFFFFFFFu - parent);
}
