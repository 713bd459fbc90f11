import type { Point } from './geometry.ts';

/**
 * The CNN-Fixations reference code's outlier removal: a point is kept when more than `share` of all points (itself
 * included) lie closer than `radius` to it. Points are binned into a grid of `radius`-sized cells, so only neighbouring
 * cells are searched: linear in the number of points rather than quadratic.
 */
export function removeOutliers(points: readonly Point[], radius: number, share: number): { kept: Point[]; removed: Point[] } {
  const cells = new Map<string, number[]>();
  const cellOf = (v: number) => Math.floor(v / Math.max(radius, 1e-9));
  points.forEach(([x, y], i) => {
    const key = `${cellOf(x)},${cellOf(y)}`;
    const list = cells.get(key);
    if (list) list.push(i);
    else cells.set(key, [i]);
  });
  const r2 = radius * radius;
  const kept: Point[] = [];
  const removed: Point[] = [];
  for (const point of points) {
    const [x, y] = point;
    const cx = cellOf(x);
    const cy = cellOf(y);
    let neighbours = 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        for (const j of cells.get(`${cx + dx},${cy + dy}`) ?? []) {
          const [px, py] = points[j];
          if ((px - x) ** 2 + (py - y) ** 2 < r2) neighbours++;
        }
      }
    }
    (neighbours > share * points.length ? kept : removed).push(point);
  }
  return { kept, removed };
}
