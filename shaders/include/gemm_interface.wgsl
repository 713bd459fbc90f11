// What gemm.wgsl and gemm_tiled.wgsl share, so that one host (GemmOp) drives either: the params, the bindings and the
// fused epilogue's activations.

struct Params {
  rows: u32,
  k4: u32,
  cols4: u32,
  validCols4: u32,
  columnBlocks: u32,
  rowBlocks: u32,
  epilogue: u32,
  activation: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

//#include activation
