// The output transforms' store of one output pixel's vec4 (bias already added), with the fused activation, where it
// falls inside the output: a partial tile at the right or bottom edge leaves some out. The caller declares `params`
// with outWidth, outC4 and activation, the `output` binding, and includes activation.

fn store(row: u32, rowInside: bool, x: u32, c: u32, value: vec4f) {
  if (rowInside & (x < params.outWidth)) {
    output[(row + x) * params.outC4 + c] = activate(value, params.activation);
  }
}
