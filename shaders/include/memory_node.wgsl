// One node of a memory vector as the backtracking kernels and the compaction write it, and the host reads it back.

struct MemoryNode {
  node: u32,
  parent: u32,
  parentCount: u32,
  childCount: u32,
}
