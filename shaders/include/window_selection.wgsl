// Shared by the pooling backtrack_* kernels, after memory_vector, in a kernel that binds the input's `activations`
// (channels-last, `pixelStride` floats a pixel). What one node of the memory vector above selects in its window
// rows [y0, y1) × columns [x0, x1) of one channel, in-bounds positions only (padding is never selected):
// `everyPositive` (hysm at an average pool) every position with a positive activation, the argmax when none is;
// otherwise the argmax. Ties go to the lowest position, the lowest node id. Returns how many children it selected.

struct PoolInput {
  width: u32,
  height: u32,
  pixelStride: u32,
}

fn selectInWindow(input: PoolInput, channel: u32, y0: u32, y1: u32, x0: u32, x1: u32, everyPositive: bool, parent: u32) -> u32 {
  var chosen = 0u;
  var bestY = y0;
  var bestX = x0;
  var best = activations[(y0 * input.width + x0) * input.pixelStride + channel];
  for (var y = y0; y < y1; y++) {
    for (var x = x0; x < x1; x++) {
      let a = activations[(y * input.width + x) * input.pixelStride + channel];
      if (everyPositive && a > 0.0) {
        selectChild((channel * input.height + y) * input.width + x, parent);
        chosen++;
      }
      if (a > best) {
        best = a;
        bestY = y;
        bestX = x;
      }
    }
  }
  if (chosen == 0u) {
    selectChild((channel * input.height + bestY) * input.width + bestX, parent);
    chosen = 1u;
  }
  return chosen;
}
