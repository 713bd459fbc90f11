import { expect } from 'vitest';

/**
 * Elementwise closeness relative to the tensor's own scale: |gpu − ref| ≤ tol · (|ref| + mean|ref|). A purely
 * elementwise relative test fails on values that cancel to near zero; a purely global one hides local errors.
 */
export function expectClose(gpu: ArrayLike<number>, ref: ArrayLike<number>, tolerance: number, what: string): void {
  expect(gpu.length, `${what}: length`).toBe(ref.length);
  let meanAbs = 0;
  for (let i = 0; i < ref.length; i++) meanAbs += Math.abs(ref[i]);
  meanAbs /= Math.max(1, ref.length);
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < ref.length; i++) {
    const allowed = tolerance * (Math.abs(ref[i]) + meanAbs) + 1e-30;
    const ratio = Math.abs(gpu[i] - ref[i]) / allowed;
    if (!(ratio <= worstRatio)) {
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
      worst = i;
    }
  }
  if (worstRatio > 1) {
    expect.fail(
      `${what}: element ${worst} is ${gpu[worst]}, reference ${ref[worst]} (${worstRatio.toFixed(2)}× the tolerance ${tolerance})`,
    );
  }
}
