// The antialiased triangle filter of the preprocessing (as PIL resamples): an output coordinate whose centre falls at
// `center` in photo pixels reads photo pixels [first, end) with weights that fall off over `support` = max(scale, 1)
// photo pixels, the filter widened by the shrink factor so large photos do not alias.
fn tapRange(center: f32, scale: f32, size: u32) -> vec2u {
  let support = max(scale, 1.0);
  return vec2u(u32(max(floor(center - support), 0.0)), u32(min(ceil(center + support), f32(size))));
}

fn tapWeight(j: u32, center: f32, scale: f32) -> f32 {
  return max(0.0, 1.0 - abs(f32(j) + 0.5 - center) / max(scale, 1.0));
}
