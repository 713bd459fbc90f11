import { pooledShape, type PoolWindow } from '../common/pool-window.ts';
import type { TensorShape } from '../../model/shapes.ts';

export interface MaxPoolSpec {
  kind: 'maxpool';
  name: string;
  size: number;
  stride: number;
  /** On every side, at most half the window: −∞ in the forward, never selected by the backtracking. Default 0. */
  padding?: number;
  /** torch's ceil_mode: the output size rounds up, less a last window that would start in the padding. Default false. */
  ceilMode?: boolean;
}

export function maxPoolWindow(layer: MaxPoolSpec): PoolWindow {
  return { size: layer.size, stride: layer.stride, padding: layer.padding ?? 0, ceilMode: layer.ceilMode ?? false };
}

export function maxPoolOutputShape(layer: MaxPoolSpec, [input]: TensorShape[]): TensorShape {
  return pooledShape(layer.name, input, maxPoolWindow(layer));
}
