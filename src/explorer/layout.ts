import type { TreeLevel } from '../backtrack/tree.ts';
import { isVector, type TensorShape } from '../model/shapes.ts';

/**
 * One tensor's slab in world units: centred at (`x`, `y`), `width` along x and `depth` along z. Tensors at one height
 * of the graph (parallel branches: a residual path and its skip, Inception's four branches) stand side by side.
 */
export interface Slab {
  level: number;
  name: string;
  shape: TensorShape;
  x: number;
  y: number;
  width: number;
  depth: number;
  /** Dense and pooled-to-a-point layers: their nodes lie in one row along x. */
  isRow: boolean;
}

export interface LayoutOptions {
  /** Side of the input slab. */
  inputSide: number;
  /** Height between neighbouring slabs. */
  spacing: number;
  /** Smallest side of a spatial slab, so 7×7 layers stay visible next to a 224×224 input. */
  minSide: number;
  /** Length of the row of a dense layer. */
  rowLength: number;
  /** Channels of a spatial layer are spread over this height, so nodes at one (x, y) do not overlap. */
  channelSpread: number;
}

export const defaultLayoutOptions: LayoutOptions = { inputSide: 10, spacing: 0.8, minSide: 1.6, rowLength: 8, channelSpread: 0.22 };

export interface TreeLayout {
  slabs: Slab[];
  /** x, y, z of every node, level by level from the top (TreeIndex's global order). */
  positions: Float32Array;
  /** Height of the whole stack, input slab to class row. */
  height: number;
}

/**
 * Each level's height in the graph: the longest path from the input (0) through the tensors that read it. Levels come
 * in reverse topological order, so every reader of a level comes before it and every level it reads after it. A
 * chain's heights are its levels counted from the bottom.
 */
export function levelHeights(levels: readonly TreeLevel[]): number[] {
  const index = new Map(levels.map((level, l) => [level.name, l]));
  const heights = new Array<number>(levels.length).fill(0);
  for (let l = levels.length - 1; l >= 0; l--) {
    // A chain's levels name no parent tensors: the level above reads each.
    const readers = levels[l].parentTensors.length > 0 ? levels[l].parentTensors.map((t) => index.get(t)) : l > 0 ? [l - 1] : [];
    for (const reader of readers) if (reader !== undefined) heights[reader] = Math.max(heights[reader], heights[l] + 1);
  }
  return heights;
}

/**
 * The network as slabs, input at the bottom and the class at the top, each tensor at its height in the graph and
 * tensors of one height side by side. A spatial slab's sides grow with the square root of the layer's extent relative
 * to the input, so deep 7×7 layers stay readable beside a 224×224 input while the shrinking still shows. A node sits
 * over its (x, y); image row 0 is at the back (−z), as a photo lying on a table seen from the front.
 */
export function layoutTree(levels: readonly TreeLevel[], options: LayoutOptions = defaultLayoutOptions): TreeLayout {
  const input = levels[levels.length - 1]?.shape ?? { channels: 1, height: 1, width: 1 };
  const heights = levelHeights(levels);
  const slabs = levels.map((level, l): Slab => {
    const row = isVector(level.shape);
    const side = (extent: number, full: number) => Math.max(options.minSide, options.inputSide * Math.sqrt(extent / full));
    return {
      level: l,
      name: level.name,
      shape: level.shape,
      x: 0,
      y: heights[l] * options.spacing,
      width: row ? options.rowLength : side(level.shape.width, input.width),
      depth: row ? 0.35 : side(level.shape.height, input.height),
      isRow: row,
    };
  });
  // Side by side, in level order (the graph's order), with a gap of a slab's tenth between neighbours.
  const byHeight = new Map<number, Slab[]>();
  slabs.forEach((slab, l) => byHeight.set(heights[l], [...(byHeight.get(heights[l]) ?? []), slab]));
  for (const row of byHeight.values()) {
    const gap = options.minSide / 2;
    const total = row.reduce((sum, s) => sum + s.width, 0) + gap * (row.length - 1);
    let left = -total / 2;
    for (const slab of [...row].reverse()) {
      slab.x = left + slab.width / 2;
      left += slab.width + gap;
    }
  }
  const total = levels.reduce((sum, level) => sum + level.nodes.length, 0);
  const positions = new Float32Array(total * 3);
  let at = 0;
  levels.forEach((level, l) => {
    const slab = slabs[l];
    const { channels, height, width } = level.shape;
    const plane = height * width;
    for (const node of level.nodes) {
      const channel = Math.floor(node / plane);
      if (slab.isRow) {
        positions[at++] = slab.x + ((channel + 0.5) / channels - 0.5) * slab.width;
        positions[at++] = slab.y;
        positions[at++] = 0;
      } else {
        const y = Math.floor((node % plane) / width);
        const x = node % width;
        positions[at++] = slab.x + ((x + 0.5) / width - 0.5) * slab.width;
        positions[at++] = slab.y + (channels > 1 ? (channel / (channels - 1) - 0.5) * options.channelSpread : 0);
        positions[at++] = ((y + 0.5) / height - 0.5) * slab.depth;
      }
    }
  });
  return { slabs, positions, height: Math.max(0, ...heights) * options.spacing };
}
