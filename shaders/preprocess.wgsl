// Photo → model input tensor.
// One invocation per model-input pixel (8×8 workgroups). It resamples the photo region that maps to the pixel with an
// antialiased triangle filter (radius widened by the shrink factor, as PIL does, so large photos do not alias), then
// applies scale, channel order and mean/std. Pixels outside the letterbox content get the fill value.
// Output: channels-last, 4 lanes per pixel (the 4th is 0) — the layout every other kernel reads.

struct Params {
  imageWidth: u32,
  imageHeight: u32,
  outWidth: u32,
  outHeight: u32,
  contentX: u32,
  contentY: u32,
  contentWidth: u32,
  contentHeight: u32,
  sourceX: f32,
  sourceY: f32,
  scaleX: f32,
  scaleY: f32,
  fill: f32,
  pixelScale: f32,
  bgr: u32,
  mean0: f32,
  mean1: f32,
  mean2: f32,
  std0: f32,
  std1: f32,
  std2: f32,
}

@group(0) @binding(0) var<storage, read> image: array<u32>; // RGBA8, red in the low byte
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

fn texel(x: u32, y: u32) -> vec3f {
  let v = image[y * params.imageWidth + x];
  return vec3f(f32(v & 0xffu), f32((v >> 8u) & 0xffu), f32((v >> 16u) & 0xffu));
}

fn tapWeight(j: u32, center: f32, support: f32) -> f32 {
  return max(0.0, 1.0 - abs(f32(j) + 0.5 - center) / support);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let x = id.x;
  let y = id.y;
  if (x >= params.outWidth || y >= params.outHeight) { return; }

  var rgb = vec3f(params.fill);
  let inside = x >= params.contentX && y >= params.contentY &&
      x < params.contentX + params.contentWidth && y < params.contentY + params.contentHeight;
  if (inside) {
    let centerX = params.sourceX + (f32(x - params.contentX) + 0.5) * params.scaleX;
    let centerY = params.sourceY + (f32(y - params.contentY) + 0.5) * params.scaleY;
    let supportX = max(params.scaleX, 1.0);
    let supportY = max(params.scaleY, 1.0);
    let x0 = u32(max(floor(centerX - supportX), 0.0));
    let x1 = u32(min(ceil(centerX + supportX), f32(params.imageWidth)));
    let y0 = u32(max(floor(centerY - supportY), 0.0));
    let y1 = u32(min(ceil(centerY + supportY), f32(params.imageHeight)));
    var sum = vec3f(0.0);
    var total = 0.0;
    for (var j = y0; j < y1; j++) {
      let wy = tapWeight(j, centerY, supportY);
      for (var i = x0; i < x1; i++) {
        let w = wy * tapWeight(i, centerX, supportX);
        sum += w * texel(i, j);
        total += w;
      }
    }
    rgb = sum / total * params.pixelScale;
  }
  if (params.bgr == 1u) { rgb = rgb.bgr; }
  let mean = vec3f(params.mean0, params.mean1, params.mean2);
  let deviation = vec3f(params.std0, params.std1, params.std2);
  output[y * params.outWidth + x] = vec4f((rgb - mean) / deviation, 0.0);
}
