export type Point = [number, number];

/** A box in photo pixels, inclusive of its last row and column. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function boxAroundPoints(points: readonly Point[]): Box | null {
  if (points.length === 0) return null;
  let [x0, y0] = points[0];
  let [x1, y1] = points[0];
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return { x0, y0, x1, y1 };
}

/** Intersection over union of two boxes whose corners are pixel edges (x0 ≤ x < x1), as ImageNet boxes are given. */
export function boxIoU(a: Box, b: Box): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  const inter = Math.max(0, w) * Math.max(0, h);
  const area = (r: Box) => Math.max(0, r.x1 - r.x0) * Math.max(0, r.y1 - r.y0);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** A box of pixel indices (inclusive) as edges: the form boxIoU and ground truth use. */
export function pixelBoxEdges(box: Box): Box {
  return { x0: box.x0, y0: box.y0, x1: box.x1 + 1, y1: box.y1 + 1 };
}

/** The box of the largest 8-connected region of a binary mask (ties: the region found first in raster order). */
export function largestRegionBox(mask: Uint8Array, width: number, height: number): Box | null {
  const label = new Int32Array(width * height).fill(-1);
  const stack: number[] = [];
  let best: { size: number; box: Box } | null = null;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start] >= 0) continue;
    label[start] = start;
    stack.push(start);
    let size = 0;
    const box = { x0: width, y0: height, x1: -1, y1: -1 };
    while (stack.length > 0) {
      const p = stack.pop()!;
      size++;
      const x = p % width;
      const y = (p - x) / width;
      box.x0 = Math.min(box.x0, x);
      box.y0 = Math.min(box.y0, y);
      box.x1 = Math.max(box.x1, x);
      box.y1 = Math.max(box.y1, y);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const q = ny * width + nx;
          if (mask[q] && label[q] < 0) {
            label[q] = start;
            stack.push(q);
          }
        }
      }
    }
    if (!best || size > best.size) best = { size, box };
  }
  return best?.box ?? null;
}
