// Fully connected layer with fused bias and activation, over one chunk of weight rows (big layers such as VGG's fc6,
// 25088×4096, exceed a single binding and are split by rows). One invocation per output feature; it walks its weight
// row in vec4s. Input and rows are zero-padded to a multiple of 4.

//#include dense_interface

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let r = id.x;
  if (r == 0u) {
    for (var p = params.padFrom; p < params.padTo; p++) { output[p] = 0.0; }
  }
  if (r >= params.rows) { return; }
  let row = r * params.inC4;
  var acc = vec4f(0.0);
  for (var k = 0u; k < params.inC4; k++) {
    acc += weights[row + k] * input[k];
  }
  let o = params.rowOffset + r;
  let sum = acc.x + acc.y + acc.z + acc.w + bias[o];
  output[o] = activate(vec4f(sum), params.activation).x;
}
