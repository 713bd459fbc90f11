// Compaction, step 2 of 3: an exclusive prefix sum over the block totals (in place), the memory vector's size into
// `counts`, and the indirect dispatch size (64 invocations a workgroup) for the next layer's backtracking kernel.
// A single invocation: there are at most a few thousand blocks, and a serial pass is exact and deterministic.

struct Params {
  blocks: u32,
  countIndex: u32,
}

@group(0) @binding(0) var<storage, read_write> blockTotals: array<u32>;
@group(0) @binding(1) var<storage, read_write> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> dispatchArgs: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main() {
  var running = 0u;
  for (var b = 0u; b < params.blocks; b++) {
    let total = blockTotals[b];
    blockTotals[b] = running;
    running += total;
  }
  counts[params.countIndex] = running;
  let args = params.countIndex * 3u;
  dispatchArgs[args] = (running + 63u) / 64u;
  dispatchArgs[args + 1u] = 1u;
  dispatchArgs[args + 2u] = 1u;
}
