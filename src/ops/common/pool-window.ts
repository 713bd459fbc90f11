/**
 * Windows of the pooling ops (maxpool, avgpool, adaptiveAvgPool) and what a node of the layer above selects in one.
 * The WGSL side is shaders/include/pool_window.wgsl (spans) and window_selection.wgsl (selection).
 */
import { ModelShapeError, type TensorShape } from '../../model/shapes.ts';
import type { Choice } from './op-definition.ts';
import { nodeOf, windowOutput } from './window.ts';

/** A square window moved by a stride over an input padded by `padding` on every side (torch's MaxPool2d, AvgPool2d). */
export interface PoolWindow {
  size: number;
  stride: number;
  padding: number;
  ceilMode: boolean;
}

/** Part of one axis, [start, end). */
export interface Span {
  start: number;
  end: number;
}

/**
 * The output size along an axis of `n` inputs, torch's rule: ⌊(n + 2p − k) / s⌋ + 1, with `ceilMode` ⌈…⌉ + 1 less a
 * last window that would start in the right / bottom padding. Padding is at most half the window (torch's bound), so
 * every window holds at least one input. Errors name the node.
 */
export function pooledSize(name: string, n: number, window: PoolWindow): number {
  const { size, stride, padding, ceilMode } = window;
  if (padding > Math.floor(size / 2)) {
    throw new ModelShapeError(`${name}: padding ${padding} is more than half the ${size}-wide window`);
  }
  const out = windowOutput(name, n, size, stride, padding);
  if (!ceilMode) return out;
  const ceiled = Math.ceil((n + 2 * padding - size) / stride) + 1;
  return (ceiled - 1) * stride >= n + padding ? ceiled - 1 : ceiled;
}

export function pooledShape(name: string, input: TensorShape, window: PoolWindow): TensorShape {
  return { channels: input.channels, height: pooledSize(name, input.height, window), width: pooledSize(name, input.width, window) };
}

/**
 * Output `o`'s window along an axis of `n` inputs: its in-bounds part, and `padded`, how many positions it covers of
 * the padded axis (what count_include_pad divides by: torch cuts a ceil-mode window at the far edge of the padding).
 */
export function windowSpan(o: number, n: number, window: PoolWindow): Span & { padded: number } {
  const first = o * window.stride - window.padding;
  const last = Math.min(first + window.size, n + window.padding);
  return { start: Math.max(0, first), end: Math.min(n, last), padded: last - first };
}

/** Output `o` of `out` along an axis of `n` inputs, torch's AdaptiveAvgPool2d: [⌊o·n / out⌋, ⌈(o + 1)·n / out⌉). */
export function adaptiveSpan(o: number, out: number, n: number): Span {
  return { start: Math.floor((o * n) / out), end: Math.floor(((o + 1) * n + out - 1) / out) };
}

/** The longest adaptive window along an axis: a bound on the positions one output covers. */
export function longestAdaptiveSpan(out: number, n: number): number {
  let longest = 0;
  for (let o = 0; o < out; o++) {
    const { start, end } = adaptiveSpan(o, out, n);
    longest = Math.max(longest, end - start);
  }
  return longest;
}

/**
 * What a node selects in its window `rows` × `cols` of one channel (in-bounds positions only, so padding is never
 * selected): `everyPositive` (hysm at an average pool) every position with a positive activation, the argmax when
 * none is; otherwise the argmax. Ties go to the lowest position, which is the lowest node id.
 */
export function selectInWindow(below: Float32Array, inShape: TensorShape, channel: number, rows: Span, cols: Span, everyPositive: boolean): Choice {
  const children: number[] = [];
  let best = -1;
  for (let y = rows.start; y < rows.end; y++) {
    for (let x = cols.start; x < cols.end; x++) {
      const child = nodeOf(channel, y, x, inShape);
      if (everyPositive && below[child] > 0) children.push(child);
      if (best < 0 || below[child] > below[best]) best = child;
    }
  }
  return { children: children.length > 0 ? children : [best], alternatives: null };
}
