// The derivative of a fused activation (activation.wgsl's codes) decided by its output, as activationDerivative in
// ops/common/activation.ts: relu and relu6 pass strictly inside their linear part, leaky keeps 0.1 at and below 0.
fn activationSlope(output: f32, kind: u32) -> f32 {
  if (kind == 1u) { return select(0.0, 1.0, output > 0.0); }
  if (kind == 2u) { return select(0.1, 1.0, output > 0.0); }
  if (kind == 3u) { return select(0.0, 1.0, output > 0.0 && output < 6.0); }
  return 1.0;
}
