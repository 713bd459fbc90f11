// Photo → model input, step 1 of 2: resample each photo row horizontally onto the model's content columns (the filter
// of include/resample.wgsl, normalised). Separable: a 4096-pixel photo costs ~2·37 taps per model pixel instead of 37².
// One invocation per (content column, photo row among those the vertical taps reach), 8×8 workgroups. Output: RGB in
// a vec4 per (row, column), rows from `rowFirst`.

struct Params {
  imageWidth: u32,
  contentWidth: u32,
  rowFirst: u32,
  rows: u32,
  sourceX: f32,
  scaleX: f32,
}

@group(0) @binding(0) var<storage, read> image: array<u32>; // RGBA8, red in the low byte
@group(0) @binding(1) var<storage, read_write> rowsOut: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

//#include resample

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let x = id.x;
  let r = id.y;
  if (x >= params.contentWidth || r >= params.rows) { return; }
  let center = params.sourceX + (f32(x) + 0.5) * params.scaleX;
  let taps = tapRange(center, params.scaleX, params.imageWidth);
  let row = (params.rowFirst + r) * params.imageWidth;
  var sum = vec3f(0.0);
  var total = 0.0;
  for (var i = taps.x; i < taps.y; i++) {
    let w = tapWeight(i, center, params.scaleX);
    let v = image[row + i];
    sum += w * vec3f(f32(v & 0xffu), f32((v >> 8u) & 0xffu), f32((v >> 16u) & 0xffu));
    total += w;
  }
  rowsOut[r * params.contentWidth + x] = vec4f(sum / total, 0.0);
}
