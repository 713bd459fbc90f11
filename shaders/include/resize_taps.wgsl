// Tap tables of the resize filters (src/model/resize-taps.ts builds them): per output pixel along one axis, the first
// input pixel and the number of taps (`tapRanges`), and `params.taps` weights a pixel (`tapWeights`, zero-padded).
// Fixed-point tables (PIL's 8-bit resampling) hold integer weights scaled by 2^22: a pass then sums in integers and
// rounds to 8 bits as PIL does, `(2^21 + Σ w·p) >> 22` clamped to 0…255.

const pilHalf: i32 = 2097152; // 2^21: rounds the sum half up
const pilPrecisionBits: u32 = 22u;

fn pilRound(sum: vec3i) -> vec3f {
  return vec3f(clamp(sum >> vec3u(pilPrecisionBits), vec3i(0), vec3i(255)));
}
