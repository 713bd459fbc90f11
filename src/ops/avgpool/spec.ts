import { pooledShape, type PoolWindow } from '../common/pool-window.ts';
import type { TensorShape } from '../../model/shapes.ts';

/** An average over size×size windows: torch's AvgPool2d, ONNX's AveragePool with symmetric padding. */
export interface AvgPoolSpec {
  kind: 'avgpool';
  name: string;
  size: number;
  stride: number;
  /** On every side, at most half the window; never selected by the backtracking. */
  padding: number;
  /** Whether padded positions count in the divisor (torch's count_include_pad; ONNX's count_include_pad = 1). */
  countIncludePad: boolean;
  /** torch's ceil_mode: the output size rounds up, less a last window that would start in the padding. */
  ceilMode: boolean;
}

export function avgPoolWindow(layer: AvgPoolSpec): PoolWindow {
  return { size: layer.size, stride: layer.stride, padding: layer.padding, ceilMode: layer.ceilMode };
}

export function avgPoolOutputShape(layer: AvgPoolSpec, [input]: TensorShape[]): TensorShape {
  return pooledShape(layer.name, input, avgPoolWindow(layer));
}
