import type { TreeLevel } from '../backtrack/tree.ts';

/** A node of the fixation tree by position: its level (0 = the class) and its index in that level's `nodes`. */
export interface NodeRef {
  level: number;
  index: number;
}

/**
 * The fixation tree with its edges as indices, so the explorer can walk it both ways: each node's parent (its lowest
 * parent, the back-pointer the backtracking kept) as an index into the level above, and each node's children in the
 * level below, in CSR form (`childStart[i] … childStart[i + 1]` into `children`). Nodes are numbered globally, level by
 * level from the top, which is the order the explorer's vertex buffers use.
 */
export class TreeIndex {
  /** Global number of the first node of each level; the last entry is the total. */
  readonly levelStart: Uint32Array;
  /** Per level: for each node, the index of its parent in the level above (the top level: -1). */
  readonly parentIndex: Int32Array[];
  /** Per level: children in the level below, grouped by parent. */
  readonly childStart: Uint32Array[];
  readonly children: Uint32Array[];

  constructor(readonly levels: readonly TreeLevel[]) {
    this.levelStart = new Uint32Array(levels.length + 1);
    levels.forEach((level, l) => (this.levelStart[l + 1] = this.levelStart[l] + level.nodes.length));
    this.parentIndex = levels.map((level, l) => {
      const parents = new Int32Array(level.nodes.length).fill(-1);
      if (l === 0) return parents;
      const above = levels[l - 1].nodes;
      for (let i = 0; i < level.nodes.length; i++) {
        const p = indexOfNode(above, level.parents[i]);
        if (p < 0) throw new Error(`${level.name}: node ${level.nodes[i]} names parent ${level.parents[i]}, which ${levels[l - 1].name} does not hold`);
        parents[i] = p;
      }
      return parents;
    });
    this.childStart = [];
    this.children = [];
    levels.forEach((level, l) => {
      const below = this.parentIndex[l + 1];
      const start = new Uint32Array(level.nodes.length + 1);
      const list = new Uint32Array(below?.length ?? 0);
      if (below) {
        for (const p of below) start[p + 1]++;
        for (let i = 0; i < level.nodes.length; i++) start[i + 1] += start[i];
        const fill = start.slice(0, level.nodes.length);
        for (let c = 0; c < below.length; c++) list[fill[below[c]]++] = c;
      }
      this.childStart.push(start);
      this.children.push(list);
    });
  }

  get nodeCount(): number {
    return this.levelStart[this.levels.length];
  }

  globalIndex(ref: NodeRef): number {
    return this.levelStart[ref.level] + ref.index;
  }

  /** The level and index of a global node number. */
  refOf(global: number): NodeRef {
    let level = 0;
    while (this.levelStart[level + 1] <= global) level++;
    return { level, index: global - this.levelStart[level] };
  }

  /** The node's index in its level, or -1: `nodes` are sorted, so a binary search. */
  find(level: number, node: number): number {
    return indexOfNode(this.levels[level].nodes, node);
  }

  /** From the node up to the class, the node first: one node per level above it, so `level + 1` nodes. */
  pathToClass(ref: NodeRef): NodeRef[] {
    const path: NodeRef[] = [ref];
    let { level, index } = ref;
    while (level > 0) {
      index = this.parentIndex[level][index];
      level--;
      path.push({ level, index });
    }
    return path;
  }

  /** Every node whose parent chain passes through the node, down to the input, level by level (the node excluded). */
  descendants(ref: NodeRef): NodeRef[] {
    const out: NodeRef[] = [];
    let frontier = [ref.index];
    for (let level = ref.level; level < this.levels.length - 1 && frontier.length > 0; level++) {
      const next: number[] = [];
      const start = this.childStart[level];
      const list = this.children[level];
      for (const i of frontier) for (let k = start[i]; k < start[i + 1]; k++) next.push(list[k]);
      next.sort((a, b) => a - b);
      for (const index of next) out.push({ level: level + 1, index });
      frontier = next;
    }
    return out;
  }
}

function indexOfNode(sorted: Uint32Array, node: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const value = sorted[mid];
    if (value === node) return mid;
    if (value < node) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
