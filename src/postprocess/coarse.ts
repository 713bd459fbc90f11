import type { TreeLevel } from '../backtrack/tree.ts';
import { inputTensor, type Graph } from '../graph/model.ts';
import type { ResampleGeometry } from '../model/preprocess.ts';
import type { Box } from './geometry.ts';

/**
 * The coarse view of "How you see me" (Fig. 2): the strongest node that the backtracking kept in the last spatial layer,
 * projected onto the photo as its grid cell.
 */
export interface CoarseCell {
  layer: string;
  node: number;
  channel: number;
  row: number;
  column: number;
  gridWidth: number;
  gridHeight: number;
  /** The cell in model-input pixels and in photo pixels (edges: x0 ≤ x < x1). */
  modelBox: Box;
  photoBox: Box;
}

/** The level nearest the output that is still spatial (more than one position). */
export function lastSpatialLevel(levels: readonly TreeLevel[]): TreeLevel | null {
  return levels.find((l) => l.shape.height * l.shape.width > 1 && l.name !== inputTensor) ?? null;
}

/** The tensor the coarse view reads: the last spatial one, which the forward pass must keep. */
export function lastSpatialTensor(graph: Pick<Graph, 'tensors' | 'shapes'>): string | null {
  return [...graph.tensors].reverse().find((t) => t !== inputTensor && graph.shapes.get(t)!.height * graph.shapes.get(t)!.width > 1) ?? null;
}

/** `values` is the level's activation (CHW); the strongest kept node wins, ties to the lowest id. */
export function coarseCell(level: TreeLevel, values: Float32Array, input: { width: number; height: number }, geometry: ResampleGeometry): CoarseCell | null {
  if (level.nodes.length === 0) return null;
  let node = level.nodes[0];
  for (const n of level.nodes) if (values[n] > values[node]) node = n;
  const { height: gh, width: gw } = level.shape;
  const plane = gh * gw;
  const row = Math.floor((node % plane) / gw);
  const column = node % gw;
  const modelBox = {
    x0: (column * input.width) / gw,
    y0: (row * input.height) / gh,
    x1: ((column + 1) * input.width) / gw,
    y1: ((row + 1) * input.height) / gh,
  };
  const { content, source } = geometry;
  const toPhotoX = (x: number) => Math.min(geometry.imageWidth, Math.max(0, source.x + ((x - content.x) * source.width) / content.width));
  const toPhotoY = (y: number) => Math.min(geometry.imageHeight, Math.max(0, source.y + ((y - content.y) * source.height) / content.height));
  return {
    layer: level.name,
    node,
    channel: Math.floor(node / plane),
    row,
    column,
    gridWidth: gw,
    gridHeight: gh,
    modelBox,
    photoBox: {
      x0: Math.floor(toPhotoX(modelBox.x0)),
      y0: Math.floor(toPhotoY(modelBox.y0)),
      x1: Math.ceil(toPhotoX(modelBox.x1)),
      y1: Math.ceil(toPhotoY(modelBox.y1)),
    },
  };
}
