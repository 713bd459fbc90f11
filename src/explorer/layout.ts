import type { TreeLevel } from '../backtrack/tree.ts';
import { isVector, type TensorShape } from '../model/shapes.ts';

/** One layer's slab in world units: centred on the y axis at height `y`, `width` along x and `depth` along z. */
export interface Slab {
  level: number;
  name: string;
  shape: TensorShape;
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
 * The network as a stack of slabs, input at the bottom and the class at the top. A spatial slab's sides grow with the
 * square root of the layer's extent relative to the input, so deep 7×7 layers stay readable beside a 224×224 input
 * while the shrinking still shows. A node sits over its (x, y); image row 0 is at the back (−z), as a photo lying on
 * a table seen from the front.
 */
export function layoutTree(levels: readonly TreeLevel[], options: LayoutOptions = defaultLayoutOptions): TreeLayout {
  const input = levels[levels.length - 1]?.shape ?? { channels: 1, height: 1, width: 1 };
  const slabs = levels.map((level, l): Slab => {
    const row = isVector(level.shape);
    const side = (extent: number, full: number) => Math.max(options.minSide, options.inputSide * Math.sqrt(extent / full));
    return {
      level: l,
      name: level.name,
      shape: level.shape,
      y: (levels.length - 1 - l) * options.spacing,
      width: row ? options.rowLength : side(level.shape.width, input.width),
      depth: row ? 0.35 : side(level.shape.height, input.height),
      isRow: row,
    };
  });
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
        positions[at++] = ((channel + 0.5) / channels - 0.5) * slab.width;
        positions[at++] = slab.y;
        positions[at++] = 0;
      } else {
        const y = Math.floor((node % plane) / width);
        const x = node % width;
        positions[at++] = ((x + 0.5) / width - 0.5) * slab.width;
        positions[at++] = slab.y + (channels > 1 ? (channel / (channels - 1) - 0.5) * options.channelSpread : 0);
        positions[at++] = ((y + 0.5) / height - 0.5) * slab.depth;
      }
    }
  });
  return { slabs, positions, height: (levels.length - 1) * options.spacing };
}
