// A separable Gaussian of half-width `radius` with reflect-101 borders (OpenCV's default, which the CNN-Fixations code
// relies on); `taps` holds the normalised weights for offsets 0 … radius.
fn reflect101(i: i32, n: i32) -> u32 {
  if (n == 1) { return 0u; }
  if (i < 0) { return u32(-i); }
  if (i >= n) { return u32(2 * n - 2 - i); }
  return u32(i);
}
