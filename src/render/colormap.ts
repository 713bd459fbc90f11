import { interpolateInferno, interpolateTurbo, interpolateViridis } from 'd3-scale-chromatic';

export const colormaps = { inferno: interpolateInferno, viridis: interpolateViridis, turbo: interpolateTurbo } as const;
export type ColormapName = keyof typeof colormaps;

function parseColor(css: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  const rgb = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(css);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new Error(`unexpected colour ${css}`);
}

/** 256 RGB entries of a perceptual colour map (d3-scale-chromatic), for indexing by an 8-bit value. */
export function colormapTable(name: ColormapName = 'inferno'): Uint8Array {
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) table.set(parseColor(colormaps[name](i / 255)), i * 3);
  return table;
}
