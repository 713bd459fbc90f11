/**
 * ONNX ops evaluated at load time on constants: what PyTorch exports around a Reshape (`x.view(x.size(0), -1)` becomes
 * Shape → Gather → Unsqueeze → Concat → Reshape), `Constant` nodes, and arithmetic on constants. `Shape` of a tensor
 * computed at run time is a constant too: every dim is known once the input's size is.
 */
import { Unsupported } from './ir.ts';
import { elementsOf, floatConstant, intConstant, type Constant } from './onnx-file.ts';
import type { NodeContext } from './onnx-node.ts';

function stridesOf(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

function like(constant: Constant, dims: number[], values: ArrayLike<number>): Constant {
  return constant.type === 'float' ? floatConstant(dims, Float32Array.from(values)) : intConstant(dims, values);
}

/** numpy-style broadcast of two constants through `f`. */
export function broadcastConstants(a: Constant, b: Constant, f: (x: number, y: number) => number, what: string): Constant {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (dims: number[]) => [...new Array<number>(rank - dims.length).fill(1), ...dims];
  const [da, db] = [pad(a.dims), pad(b.dims)];
  const dims = da.map((d, i) => {
    if (d !== db[i] && d !== 1 && db[i] !== 1) throw new Unsupported(`${what} of constants of dims [${a.dims}] and [${b.dims}], which do not broadcast`);
    return Math.max(d, db[i]);
  });
  const [sa, sb, so] = [stridesOf(da), stridesOf(db), stridesOf(dims)];
  const values = new Float64Array(elementsOf(dims));
  for (let i = 0; i < values.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < rank; k++) {
      const coordinate = Math.floor(i / so[k]) % dims[k];
      if (da[k] !== 1) ia += coordinate * sa[k];
      if (db[k] !== 1) ib += coordinate * sb[k];
    }
    values[i] = f(a.values[ia], b.values[ib]);
  }
  const type = a.type === 'float' || b.type === 'float' ? 'float' : 'int';
  return type === 'float' ? floatConstant(dims, Float32Array.from(values)) : intConstant(dims, Array.from(values, Math.trunc));
}

export const arithmetic: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
};

export function constantNode(n: NodeContext): void {
  const tensor = n.tensorAttribute('value');
  if (tensor) return n.setConstant(tensor);
  const a = (name: string) => n.attribute(name);
  if (a('value_float')) return n.setConstant(floatConstant([], Float32Array.of(n.float('value_float', 0))));
  if (a('value_floats')) return n.setConstant(floatConstant([n.floatList('value_floats', []).length], Float32Array.from(n.floatList('value_floats', []))));
  if (a('value_int')) return n.setConstant(intConstant([], [n.int('value_int', 0)]));
  if (a('value_ints')) return n.setConstant(intConstant([n.intList('value_ints', []).length], n.intList('value_ints', [])));
  throw new Unsupported('a Constant that is not a dense numeric tensor (sparse or string)');
}

export function shapeNode(n: NodeContext): void {
  const value = n.value(0);
  const dims = value.kind === 'tensor' ? value.dims : value.constant.dims;
  const rank = dims.length;
  const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  const start = n.opset >= 15 ? clamp(n.int('start', 0)) : 0;
  const end = n.opset >= 15 ? clamp(n.int('end', rank)) : rank;
  const shape = dims.slice(start, Math.max(start, end));
  n.setConstant(intConstant([shape.length], shape));
}

export function gatherNode(n: NodeContext): void {
  const data = n.constant(0, 'data');
  const indices = n.constant(1, 'indices');
  const axis = n.axis('axis', 0, Math.max(1, data.dims.length));
  const size = data.dims[axis];
  const outer = elementsOf(data.dims.slice(0, axis));
  const inner = elementsOf(data.dims.slice(axis + 1));
  const picks = Array.from(indices.values, (i) => {
    const k = i < 0 ? i + size : i;
    if (!(k >= 0 && k < size)) n.fail(`gathers index ${i} of an axis of size ${size}`);
    return k;
  });
  const values: number[] = [];
  for (let o = 0; o < outer; o++) for (const k of picks) for (let i = 0; i < inner; i++) values.push(data.values[(o * size + k) * inner + i]);
  n.setConstant(like(data, [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)], values));
}

/** Unsqueeze/Squeeze axes: an attribute before opset 13, an input from then on. */
function axesOf(n: NodeContext, required: boolean): number[] | null {
  if (n.opset >= 13) return n.has(1) ? n.ints(1, 'axes') : required ? n.fail('has no axes') : null;
  const axes = n.intList('axes', []);
  return axes.length > 0 ? axes : required ? n.fail('has no axes') : null;
}

/** Dims after Unsqueeze / Squeeze, per ONNX. */
function reshapedDims(n: NodeContext, dims: number[], squeeze: boolean): number[] {
  const axes = axesOf(n, !squeeze);
  if (squeeze) {
    const drop = new Set((axes ?? dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + dims.length : a)));
    for (const a of drop) if (dims[a] !== 1) n.fail(`squeezes axis ${a} of size ${dims[a]}`);
    return dims.filter((_, i) => !drop.has(i));
  }
  const rank = dims.length + axes!.length;
  const inserted = new Set(axes!.map((a) => (a < 0 ? a + rank : a)));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(inserted.has(i) ? 1 : dims[k++]);
  return out;
}

/** Unsqueeze / Squeeze: of a constant, folded; of a vector computed at run time, the same tensor with new dims. */
export function squeezeNode(squeeze: boolean) {
  return (n: NodeContext): void => {
    const value = n.value(0);
    if (value.kind === 'constant') return n.setConstant({ ...value.constant, dims: reshapedDims(n, value.constant.dims, squeeze) });
    const dims = reshapedDims(n, value.dims, squeeze);
    if (dims.filter((d) => d !== 1).length > 1 && dims.length !== 4) {
      throw new Unsupported(`${squeeze ? 'squeezes' : 'unsqueezes'} a feature map [${value.dims.join(', ')}] into [${dims.join(', ')}]`);
    }
    n.alias(value, dims);
  };
}

const floatTypes = new Set([1, 10, 11, 16]);

export function castNode(n: NodeContext): void {
  const to = n.int('to', 1);
  const value = n.value(0);
  if (value.kind === 'tensor') {
    if (!floatTypes.has(to)) throw new Unsupported(`casts the features to a non-float type (${to})`);
    return n.alias(value);
  }
  const c = value.constant;
  n.setConstant(floatTypes.has(to) ? floatConstant(c.dims, Float32Array.from(c.values)) : intConstant(c.dims, Array.from(c.values, (v) => (to === 9 ? Number(v !== 0) : Math.trunc(v)))));
}

/** Slice of a 1-D constant (shape arithmetic). */
export function sliceNode(n: NodeContext): void {
  const data = n.constant(0, 'data');
  if (data.dims.length !== 1) throw new Unsupported(`slices a constant of rank ${data.dims.length}; only 1-D constants are sliced at load`);
  const fromInputs = n.opset >= 10;
  const starts = fromInputs ? n.ints(1, 'starts') : n.intList('starts', []);
  const ends = fromInputs ? n.ints(2, 'ends') : n.intList('ends', []);
  const axes = fromInputs ? (n.has(3) ? n.ints(3, 'axes') : [0]) : n.intList('axes', [0]);
  const steps = fromInputs && n.has(4) ? n.ints(4, 'steps') : [1];
  if (starts.length !== 1 || ends.length !== 1 || !(axes[0] === 0 || axes[0] === -1)) n.fail('slices a 1-D constant along more than its one axis');
  const size = data.dims[0];
  const step = steps[0];
  if (step === 0) n.fail('has step 0');
  const clamp = (v: number, low: number, high: number) => Math.min(high, Math.max(low, v < 0 ? v + size : v));
  const values: number[] = [];
  if (step > 0) for (let i = clamp(starts[0], 0, size); i < clamp(ends[0], 0, size); i += step) values.push(data.values[i]);
  else for (let i = clamp(starts[0], -1, size - 1); i > clamp(ends[0], -1, size - 1); i += step) values.push(data.values[i]);
  n.setConstant(like(data, [values.length], values));
}

export function constantOfShapeNode(n: NodeContext): void {
  const dims = n.ints(0, 'shape');
  const fill = n.tensorAttribute('value') ?? floatConstant([1], Float32Array.of(0));
  const values = new Array<number>(elementsOf(dims)).fill(fill.values[0] ?? 0);
  n.setConstant(like(fill, dims, values));
}

/** Concat of constants along an axis. */
export function concatConstants(n: NodeContext, parts: Constant[], axisAttribute: number): Constant {
  const rank = parts[0].dims.length;
  const axis = axisAttribute < 0 ? axisAttribute + rank : axisAttribute;
  for (const p of parts) {
    if (p.dims.length !== rank || p.dims.some((d, i) => i !== axis && d !== parts[0].dims[i])) n.fail('concatenates constants of mismatched dims');
  }
  const outer = elementsOf(parts[0].dims.slice(0, axis));
  const values: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const block = elementsOf(p.dims.slice(axis));
      for (let i = 0; i < block; i++) values.push(p.values[o * block + i]);
    }
  }
  const dims = [...parts[0].dims];
  dims[axis] = parts.reduce((s, p) => s + p.dims[axis], 0);
  const type = parts.some((p) => p.type === 'float') ? 'float' : 'int';
  return type === 'float' ? floatConstant(dims, Float32Array.from(values)) : intConstant(dims, values);
}
