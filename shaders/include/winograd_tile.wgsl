// What both Winograd variants' transform kernels share (winograd.ts: transformUniforms gives both the same Params).
// The caller declares `params` with tilesX and tilesPerImage.

// Branch-free taps: an out-of-bounds tap reads a clamped in-bounds pixel and selects 0 instead, so an unrolled patch
// compiles as straight-line code (SwiftShader's JIT time grows with every branch). Rows and columns are clamped once.
fn clampedTo(v: i32, size: u32) -> u32 {
  return u32(clamp(v, 0, i32(size) - 1));
}

fn inside(v: i32, size: u32) -> bool {
  return (v >= 0) & (v < i32(size));
}

// Tile t of the batch (tiles counted over all images, image after image): its image and its top-left output pixel
// (x, y) for an m×m output tile.
fn tileOrigin(t: u32, m: u32) -> vec3u {
  let local = t % params.tilesPerImage;
  return vec3u((local % params.tilesX) * m, (local / params.tilesX) * m, t / params.tilesPerImage);
}
