// Fused activations, selected by a uniform: 0 linear, 1 ReLU, 2 leaky ReLU with darknet's slope 0.1, 3 ReLU6 (clip to
// [0, 6], MobileNetV2). Branch-free: SwiftShader compiles every branch of every inlined call as masked SIMD code, and
// a kernel that activates a 8×4 register tile inlines this 32 times (branches made gemm.wgsl compile 4× slower).
// Zeros come out as +0 (ReLU's v · 0 is −0 for a negative v).
fn activate(v: vec4f, kind: u32) -> vec4f {
  let slope = select(select(1.0, 0.1, kind == 2u), 0.0, (kind == 1u) | (kind == 3u));
  let r = select(v * slope, v, v > vec4f(0.0));
  let z = select(r, vec4f(0.0), r == vec4f(0.0));
  return select(z, min(z, vec4f(6.0)), kind == 3u);
}
