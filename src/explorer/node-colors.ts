import type { TreeLevel } from '../backtrack/tree.ts';
import { colormapTable } from '../render/colormap.ts';

export type ColorBy = 'channel' | 'depth';

/** A well-spread hue per channel (golden-ratio steps), so neighbouring channel numbers get distinct colours. */
export function channelColor(channel: number, channels: number): [number, number, number] {
  // The input's three channels are red, green and blue themselves.
  if (channels === 3) return ([[1, 0.25, 0.2], [0.25, 0.9, 0.3], [0.3, 0.5, 1]] as const)[channel].slice() as [number, number, number];
  return hslToRgb((channel * 0.618033988749895) % 1, 0.75, 0.58);
}

/** RGB in [0, 1] for every node, in TreeIndex's global order. */
export function nodeColors(levels: readonly TreeLevel[], by: ColorBy): Float32Array {
  const total = levels.reduce((sum, level) => sum + level.nodes.length, 0);
  const colors = new Float32Array(total * 3);
  const table = by === 'depth' ? colormapTable('turbo') : null;
  let at = 0;
  levels.forEach((level, l) => {
    const plane = level.shape.height * level.shape.width;
    const depthColor = table ? depthEntry(table, l, levels.length) : null;
    for (const node of level.nodes) {
      const rgb = depthColor ?? channelColor(Math.floor(node / plane), level.shape.channels);
      colors.set(rgb, at);
      at += 3;
    }
  });
  return colors;
}

function depthEntry(table: Uint8Array, level: number, levels: number): [number, number, number] {
  // Turbo's dark ends read badly on the dark background: keep to its middle 80 %.
  const k = Math.round((0.1 + (0.8 * level) / Math.max(1, levels - 1)) * 255) * 3;
  return [table[k] / 255, table[k + 1] / 255, table[k + 2] / 255];
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}
