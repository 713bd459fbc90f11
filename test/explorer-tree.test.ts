import { describe, expect, it } from 'vitest';
import type { TreeLevel } from '../src/backtrack/tree.ts';
import { layoutTree, levelHeights } from '../src/explorer/layout.ts';
import { nodeColors } from '../src/explorer/node-colors.ts';
import { TreeIndex } from '../src/explorer/tree-index.ts';
import { seededRandom } from '../src/graph/random-model.ts';
import type { TensorShape } from '../src/model/shapes.ts';

/** A level of a chain: its parents are in the level above (no parent tensors named). */
function level(name: string, _depth: number, shape: TensorShape, nodes: number[], parents: number[]): TreeLevel {
  const n = nodes.length;
  return {
    name,
    shape,
    parentTensors: [],
    parentTensor: new Uint32Array(n),
    nodes: Uint32Array.from(nodes),
    parents: Uint32Array.from(parents),
    parentCounts: new Uint32Array(n).fill(1),
    childCounts: new Uint32Array(n),
  };
}

/** class (1 of 10) → 2 units of a 10-vector → 4×4×4 map → 2×8×8 input; parents name node ids of the level above. */
function smallTree(): TreeLevel[] {
  return [
    level('prob', 3, { channels: 10, height: 1, width: 1 }, [7], [0]),
    level('fc', 2, { channels: 10, height: 1, width: 1 }, [1, 6], [7, 7]),
    level('conv', 1, { channels: 4, height: 4, width: 4 }, [0, 5, 17, 63], [1, 1, 6, 6]),
    level('input', 0, { channels: 2, height: 8, width: 8 }, [0, 9, 10, 40, 127], [0, 5, 5, 17, 63]),
  ];
}

/** A seeded random tree of `perLevel` nodes per level, each node's parent drawn from the level above. */
function randomTree(levels: number, perLevel: number, seed: number): TreeLevel[] {
  const random = seededRandom(seed);
  const shape = { channels: 64, height: 56, width: 56 };
  const size = shape.channels * shape.height * shape.width;
  const out: TreeLevel[] = [];
  for (let l = 0; l < levels; l++) {
    const count = l === 0 ? 1 : perLevel;
    const ids = new Set<number>();
    while (ids.size < count) ids.add(Math.floor(random() * size));
    const nodes = [...ids].sort((a, b) => a - b);
    const above = out[l - 1]?.nodes;
    const parents = nodes.map(() => (above ? above[Math.floor(random() * above.length)] : 0));
    out.push(level(`layer${l}`, levels - 1 - l, shape, nodes, parents));
  }
  return out;
}

describe('TreeIndex', () => {
  it('turns parent node ids into indices and child lists', () => {
    const index = new TreeIndex(smallTree());
    expect(index.nodeCount).toBe(12);
    expect([...index.levelStart]).toEqual([0, 1, 3, 7, 12]);
    expect([...index.parentIndex[2]]).toEqual([0, 0, 1, 1]);
    expect([...index.parentIndex[3]]).toEqual([0, 1, 1, 2, 3]);
    expect([...index.childStart[2]]).toEqual([0, 1, 3, 4, 5]);
    // Children as global node numbers: the input level starts at 7.
    expect([...index.children[2]]).toEqual([7, 8, 9, 10, 11]);
    expect([...index.parentLevel[3]]).toEqual([2, 2, 2, 2, 2]);
    expect(index.refOf(7)).toEqual({ level: 3, index: 0 });
    expect(index.find(3, 40)).toBe(3);
    expect(index.find(3, 41)).toBe(-1);
  });

  it('follows a node up to the class and down to all its descendants', () => {
    const index = new TreeIndex(smallTree());
    expect(index.pathToClass({ level: 3, index: 2 })).toEqual([
      { level: 3, index: 2 },
      { level: 2, index: 1 },
      { level: 1, index: 0 },
      { level: 0, index: 0 },
    ]);
    expect(index.descendants({ level: 1, index: 0 })).toEqual([
      { level: 2, index: 0 },
      { level: 2, index: 1 },
      { level: 3, index: 0 },
      { level: 3, index: 1 },
      { level: 3, index: 2 },
    ]);
    expect(index.descendants({ level: 3, index: 4 })).toEqual([]);
  });

  it('on a large random tree, every node descends from the class and the path of each has one node per level above', () => {
    const levels = randomTree(12, 2500, 7);
    const index = new TreeIndex(levels);
    expect(index.nodeCount).toBe(1 + 11 * 2500);
    expect(index.descendants({ level: 0, index: 0 })).toHaveLength(index.nodeCount - 1);
    for (let l = 0; l < levels.length - 1; l++) expect(index.children[l].length).toBe(levels[l + 1].nodes.length);
    const path = index.pathToClass({ level: 11, index: 1234 });
    expect(path).toHaveLength(12);
    path.slice(1).forEach((ref, k) => expect(levels[ref.level].nodes[ref.index]).toBe(levels[path[k].level].parents[path[k].index]));
  });

  it('refuses a tree whose parent is not in the level above', () => {
    const broken = smallTree();
    broken[2].parents[0] = 2;
    expect(() => new TreeIndex(broken)).toThrow(/conv: node 0 names parent 2 in fc, which does not hold it/);
  });
});

describe('layoutTree', () => {
  it('stacks slabs from the input at the bottom to the class at the top and puts nodes over their (x, y)', () => {
    const levels = smallTree();
    const { slabs, positions, height } = layoutTree(levels);
    expect(slabs.map((s) => s.y)).toEqual([...slabs.map((s) => s.y)].sort((a, b) => b - a));
    expect(slabs[3].y).toBe(0);
    expect(slabs[0].y).toBeCloseTo(height);
    expect(slabs.map((s) => s.isRow)).toEqual([true, true, false, false]);
    expect(slabs[3].width).toBeGreaterThan(slabs[2].width);
    const at = (global: number) => [positions[global * 3], positions[global * 3 + 1], positions[global * 3 + 2]];
    // Input node 9 is channel 0, y 1, x 1; node 10 is x 2 of the same row: further right, same depth.
    const [x9, , z9] = at(8);
    const [x10, , z10] = at(9);
    expect(x10).toBeGreaterThan(x9);
    expect(z10).toBeCloseTo(z9);
    // Node 40 is y 5, x 0: nearer the front (+z) than row 1.
    expect(at(10)[2]).toBeGreaterThan(z9);
    // Dense rows: by unit along x, at z 0.
    expect(at(1)[0]).toBeLessThan(at(2)[0]);
    expect(at(1)[2]).toBe(0);
  });

  it('colours every node, by channel or by layer', () => {
    const levels = smallTree();
    const byChannel = nodeColors(levels, 'channel');
    const byDepth = nodeColors(levels, 'depth');
    expect(byChannel).toHaveLength(12 * 3);
    expect(byChannel.every((v) => v >= 0 && v <= 1)).toBe(true);
    // All nodes of one layer share a colour by depth.
    expect([...byDepth.subarray(7 * 3, 8 * 3)]).toEqual([...byDepth.subarray(11 * 3, 12 * 3)]);
  });
});

describe('TreeIndex on a graph', () => {
  it('follows each node to the level of the tensor its parent is in, across a skip connection', () => {
    const shape = { channels: 1, height: 2, width: 2 };
    // out = add(a, conv(a)): a is read by both the add (level 0) and the conv (level 1).
    const levels: TreeLevel[] = [
      { ...level('out', 0, shape, [1, 2], [0, 0]), parentCounts: new Uint32Array(2) },
      { ...level('conv', 0, shape, [2], [2]), parentTensors: ['out'] },
      { ...level('a', 0, shape, [0, 1, 2], [2, 1, 2]), parentTensors: ['out', 'conv'], parentTensor: Uint32Array.of(1, 0, 0) },
    ];
    const index = new TreeIndex(levels);
    expect([...index.parentLevel[2]]).toEqual([1, 0, 0]);
    expect([...index.parentIndex[2]]).toEqual([0, 0, 1]);
    expect(index.pathToClass({ level: 2, index: 0 })).toEqual([{ level: 2, index: 0 }, { level: 1, index: 0 }, { level: 0, index: 1 }]);
    expect(index.pathToClass({ level: 2, index: 1 })).toEqual([{ level: 2, index: 1 }, { level: 0, index: 0 }]);
    expect(index.descendants({ level: 0, index: 1 })).toEqual([{ level: 1, index: 0 }, { level: 2, index: 0 }, { level: 2, index: 2 }]);
  });
});

describe('layout of a graph', () => {
  it('puts each tensor at its longest path from the input and parallel branches side by side', () => {
    const shape = { channels: 2, height: 4, width: 4 };
    // out = add(skip, conv2(conv1(stem))), skip = conv1x1(stem): conv1 and skip stand at one height.
    const levels: TreeLevel[] = [
      { ...level('out', 0, shape, [1], [0]) },
      { ...level('skip', 0, shape, [1], [1]), parentTensors: ['out'] },
      { ...level('conv2', 0, shape, [1], [1]), parentTensors: ['out'] },
      { ...level('conv1', 0, shape, [1], [1]), parentTensors: ['conv2'] },
      { ...level('stem', 0, shape, [1], [1]), parentTensors: ['skip', 'conv1'] },
    ];
    expect(levelHeights(levels)).toEqual([3, 1, 2, 1, 0]);
    const { slabs } = layoutTree(levels);
    const [skip, conv1] = [slabs[1], slabs[3]];
    expect(skip.y).toBe(conv1.y);
    expect(Math.abs(skip.x - conv1.x)).toBeGreaterThanOrEqual(skip.width);
    expect(slabs[0].x).toBe(0);
  });

  it('lays a chain out as before: one slab per height, all centred', () => {
    const { slabs } = layoutTree(smallTree());
    expect(slabs.map((s) => s.x)).toEqual([0, 0, 0, 0]);
    expect(slabs.map((s) => s.y)).toEqual([3, 2, 1, 0].map((h) => h * 0.8));
  });
});
