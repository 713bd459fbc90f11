// Photo → model input, step 1 of 2: resample each photo row horizontally onto the model's content columns with the
// filter's tap table (include/resize_taps.wgsl). Separable: a 4096-pixel photo costs ~2·37 taps per model pixel
// instead of 37². One invocation per (content column, photo row among those the vertical taps reach), 8×8 workgroups,
// no workgroup memory. Output: RGB in a vec4 per (row, column), rows from `rowFirst`, 0…255 (8-bit rounded when the
// taps are fixed-point).

struct Params {
  imageWidth: u32,
  contentWidth: u32,
  rowFirst: u32,
  rows: u32,
  taps: u32,
  fixedPoint: u32,
}

@group(0) @binding(0) var<storage, read> image: array<u32>; // RGBA8, red in the low byte
@group(0) @binding(1) var<storage, read_write> rowsOut: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read> tapRanges: array<vec2u>;
@group(0) @binding(4) var<storage, read> tapWeights: array<f32>;

//#include resize_taps

fn pixel(v: u32) -> vec3u {
  return vec3u(v & 0xffu, (v >> 8u) & 0xffu, (v >> 16u) & 0xffu);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let x = id.x;
  let r = id.y;
  if (x >= params.contentWidth || r >= params.rows) { return; }
  let range = tapRanges[x];
  let row = (params.rowFirst + r) * params.imageWidth;
  let weights = x * params.taps;
  if (params.fixedPoint == 1u) {
    var sum = vec3i(pilHalf);
    for (var k = 0u; k < range.y; k++) {
      sum += i32(tapWeights[weights + k]) * vec3i(pixel(image[row + range.x + k]));
    }
    rowsOut[r * params.contentWidth + x] = vec4f(pilRound(sum), 0.0);
    return;
  }
  var sum = vec3f(0.0);
  for (var k = 0u; k < range.y; k++) {
    sum += tapWeights[weights + k] * vec3f(pixel(image[row + range.x + k]));
  }
  rowsOut[r * params.contentWidth + x] = vec4f(sum, 0.0);
}
