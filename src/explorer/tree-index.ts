import type { TreeLevel } from '../backtrack/tree.ts';

/** A node of the fixation tree by position: its level (0 = the class) and its index in that level's `nodes`. */
export interface NodeRef {
  level: number;
  index: number;
}

/**
 * The fixation tree with its edges as indices, so the explorer can walk it both ways: each node's parent (its lowest
 * parent, the back-pointer the backtracking kept) as a level and an index in that level — in a graph the level of a
 * parent is whichever tensor read this one, so not always the level just above — and each node's children in CSR form
 * (`childStart[i] … childStart[i + 1]` into `children`, global node numbers). Nodes are numbered globally, level by
 * level from the top, which is the order the explorer's vertex buffers use.
 */
export class TreeIndex {
  /** Global number of the first node of each level; the last entry is the total. */
  readonly levelStart: Uint32Array;
  /** Per level: for each node, the level of its parent (the top level: -1). */
  readonly parentLevel: Int32Array[];
  /** Per level: for each node, the index of its parent in its parent's level (the top level: -1). */
  readonly parentIndex: Int32Array[];
  /** Per level: children (global node numbers), grouped by parent. */
  readonly childStart: Uint32Array[];
  readonly children: Uint32Array[];

  constructor(readonly levels: readonly TreeLevel[]) {
    this.levelStart = new Uint32Array(levels.length + 1);
    levels.forEach((level, l) => (this.levelStart[l + 1] = this.levelStart[l] + level.nodes.length));
    const levelOf = new Map(levels.map((level, l) => [level.name, l]));
    this.parentLevel = [];
    this.parentIndex = levels.map((level, l) => {
      const parents = new Int32Array(level.nodes.length).fill(-1);
      const parentLevels = new Int32Array(level.nodes.length).fill(-1);
      this.parentLevel.push(parentLevels);
      if (l === 0) return parents;
      // Trees of a chain name no parent tensors: the level above.
      const names = level.parentTensors?.length ? level.parentTensors : [levels[l - 1].name];
      for (let i = 0; i < level.nodes.length; i++) {
        const name = names[level.parentTensor?.[i] ?? 0];
        const pl = levelOf.get(name);
        const p = pl === undefined ? -1 : indexOfNode(levels[pl].nodes, level.parents[i]);
        if (p < 0) throw new Error(`${level.name}: node ${level.nodes[i]} names parent ${level.parents[i]} in ${name}, which does not hold it`);
        parents[i] = p;
        parentLevels[i] = pl!;
      }
      return parents;
    });
    const counts = levels.map((level) => new Uint32Array(level.nodes.length + 1));
    levels.forEach((_, l) => this.parentIndex[l].forEach((p, i) => p >= 0 && counts[this.parentLevel[l][i]][p + 1]++));
    this.childStart = counts.map((start) => {
      for (let i = 1; i < start.length; i++) start[i] += start[i - 1];
      return start;
    });
    this.children = this.childStart.map((start) => new Uint32Array(start[start.length - 1]));
    const fill = this.childStart.map((start) => start.slice(0, start.length - 1));
    levels.forEach((_, l) =>
      this.parentIndex[l].forEach((p, i) => {
        if (p < 0) return;
        const pl = this.parentLevel[l][i];
        this.children[pl][fill[pl][p]++] = this.levelStart[l] + i;
      }),
    );
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

  /** From the node up to the class along the back-pointers, the node first (in a chain: `level + 1` nodes). */
  pathToClass(ref: NodeRef): NodeRef[] {
    const path: NodeRef[] = [ref];
    let { level, index } = ref;
    while (level > 0) {
      [level, index] = [this.parentLevel[level][index], this.parentIndex[level][index]];
      path.push({ level, index });
    }
    return path;
  }

  /** Every node whose parent chain passes through the node, down to the input, in global order (the node excluded). */
  descendants(ref: NodeRef): NodeRef[] {
    const found: number[] = [];
    const stack = [this.globalIndex(ref)];
    while (stack.length > 0) {
      const { level, index } = this.refOf(stack.pop()!);
      const start = this.childStart[level];
      for (let k = start[index]; k < start[index + 1]; k++) {
        found.push(this.children[level][k]);
        stack.push(this.children[level][k]);
      }
    }
    return found.sort((a, b) => a - b).map((g) => this.refOf(g));
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
