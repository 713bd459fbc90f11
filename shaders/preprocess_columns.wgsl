// Photo → model input, step 2 of 2: resample the row-filtered photo vertically onto each model pixel with the
// filter's tap table (include/resize_taps.wgsl), then scale, channel order and mean/std; pixels outside the letterbox
// content get the fill value. One invocation per model-input pixel, 8×8 workgroups, no workgroup memory. Output:
// channels-last, 4 lanes per pixel (the 4th is 0) — the layout every other kernel reads — starting `outOffset` vec4s in
// (the image slot of a batched model input).

struct Params {
  outWidth: u32,
  outHeight: u32,
  contentX: u32,
  contentY: u32,
  contentWidth: u32,
  contentHeight: u32,
  rowFirst: u32,
  taps: u32,
  fixedPoint: u32,
  fill: f32,
  pixelScale: f32,
  bgr: u32,
  mean0: f32,
  mean1: f32,
  mean2: f32,
  std0: f32,
  std1: f32,
  std2: f32,
  outOffset: u32,
}

@group(0) @binding(0) var<storage, read> rowsIn: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read> tapRanges: array<vec2u>;
@group(0) @binding(4) var<storage, read> tapWeights: array<f32>;

//#include resize_taps

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let x = id.x;
  let y = id.y;
  if (x >= params.outWidth || y >= params.outHeight) { return; }
  var rgb = vec3f(params.fill);
  let inside = x >= params.contentX && y >= params.contentY &&
      x < params.contentX + params.contentWidth && y < params.contentY + params.contentHeight;
  if (inside) {
    let t = y - params.contentY;
    let range = tapRanges[t];
    let column = x - params.contentX;
    let weights = t * params.taps;
    var value: vec3f;
    if (params.fixedPoint == 1u) {
      var sum = vec3i(pilHalf);
      for (var k = 0u; k < range.y; k++) {
        let row = range.x + k - params.rowFirst;
        sum += i32(tapWeights[weights + k]) * vec3i(rowsIn[row * params.contentWidth + column].rgb);
      }
      value = pilRound(sum);
    } else {
      value = vec3f(0.0);
      for (var k = 0u; k < range.y; k++) {
        let row = range.x + k - params.rowFirst;
        value += tapWeights[weights + k] * rowsIn[row * params.contentWidth + column].rgb;
      }
    }
    rgb = value * params.pixelScale;
  }
  if (params.bgr == 1u) { rgb = rgb.bgr; }
  let mean = vec3f(params.mean0, params.mean1, params.mean2);
  let deviation = vec3f(params.std0, params.std1, params.std2);
  output[params.outOffset + y * params.outWidth + x] = vec4f((rgb - mean) / deviation, 0.0);
}
