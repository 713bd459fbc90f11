// Windows of the pooling ops along one axis of n inputs (see src/ops/common/pool-window.ts, their CPU twin).

// Output o's window of a size-wide window moved by `stride` over an axis padded by `padding` on both sides: its
// in-bounds part [x, y), and in z how many positions it covers of the padded axis (count_include_pad's divisor; a
// ceil-mode window is cut at the far edge of the padding, as torch does).
fn windowSpan(o: u32, size: u32, stride: u32, padding: u32, n: u32) -> vec3u {
  let first = i32(o * stride) - i32(padding);
  let last = min(first + i32(size), i32(n + padding));
  return vec3u(u32(max(first, 0)), u32(min(last, i32(n))), u32(last - first));
}

// Output o of `out` in torch's AdaptiveAvgPool2d: [⌊o·n / out⌋, ⌈(o + 1)·n / out⌉).
fn adaptiveSpan(o: u32, out: u32, n: u32) -> vec2u {
  return vec2u(o * n / out, ((o + 1u) * n + out - 1u) / out);
}

// The outputs whose windows (as windowSpan's, before the cut to the axis) cover input position v along an axis with
// `outs` outputs: [x, y], empty when x > y. The backward kernels gather over them.
fn coveringWindows(v: u32, size: u32, stride: u32, padding: u32, outs: u32) -> vec2i {
  let shifted = i32(v + padding);
  let s = i32(stride);
  let first = max(0, (shifted - i32(size) + s) / s);
  return vec2i(first, min(i32(outs) - 1, shifted / s));
}
