// Fused activations, selected by a uniform: 0 linear, 1 ReLU, 2 leaky ReLU with darknet's slope 0.1, 3 ReLU6 (clip to
// [0, 6], MobileNetV2).
fn activate(v: vec4f, kind: u32) -> vec4f {
  if (kind == 1u) { return max(v, vec4f(0.0)); }
  if (kind == 2u) { return select(v * 0.1, v, v > vec4f(0.0)); }
  if (kind == 3u) { return clamp(v, vec4f(0.0), vec4f(6.0)); }
  return v;
}
