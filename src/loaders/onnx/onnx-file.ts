/**
 * The bytes of an `.onnx` file as the official schema's messages (onnx.proto of ONNX 1.20, compiled for
 * `@bufbuild/protobuf` by the `onnx-buf` package; see README "Your own model (ONNX)" for why these two), and the
 * numbers of its tensors: inline (`raw_data` or the typed fields) or in external data files, fp32, fp16, bf16 or fp64
 * widened or narrowed to fp32, integers as exact doubles. Every failure is a {@link ModelFormatError} naming the file.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataLocation, TensorProto_DataType, type ModelProto, type TensorProto } from 'onnx-buf';
import { ModelFormatError } from '../format-error.ts';

/** A constant: an initializer, a `Constant` node, or a value folded at load (a Reshape's shape). */
export interface Constant {
  dims: number[];
  /** `float`: weights and the like, as float32; `int`: integer tensors (shapes, indices, bools) as exact doubles. */
  type: 'float' | 'int';
  values: Float32Array | Float64Array;
}

export function floatConstant(dims: number[], values: Float32Array): Constant {
  return { dims, type: 'float', values };
}

export function intConstant(dims: number[], values: ArrayLike<number>): Constant {
  return { dims, type: 'int', values: Float64Array.from(values) };
}

export function elementsOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Signatures of the files people mistake for an ONNX model, to say what the file is instead. */
function otherFormat(bytes: Uint8Array): string | null {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a zip archive (a PyTorch .pt/.pth checkpoint or a .keras file?), not an ONNX model: export it with torch.onnx.export';
  if (starts(0x89, 0x48, 0x44, 0x46)) return 'an HDF5 file (a Keras .h5?), not an ONNX model: load it with --model file.h5, or convert it with tf2onnx';
  if (starts(0x80) && (bytes[1] ?? 0) >= 2 && (bytes[1] ?? 0) <= 5) return 'a Python pickle (a PyTorch checkpoint?), not an ONNX model: export it with torch.onnx.export';
  if (starts(0x89, 0x50, 0x4e, 0x47) || starts(0xff, 0xd8, 0xff)) return 'a picture, not an ONNX model';
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) return 'a safetensors checkpoint, not an ONNX model';
  if (starts(0x7b)) return 'a JSON file, not an ONNX model';
  return null;
}

/**
 * Parses a ModelProto. ONNX has no magic number: a file is taken as ONNX when its protobuf parses and carries an IR
 * version and a graph; truncated files fail in the protobuf parser, other formats by their own signatures.
 */
export function decodeOnnx(bytes: Uint8Array, file: string): ModelProto {
  if (bytes.byteLength === 0) throw new ModelFormatError(file, 'is empty');
  const other = otherFormat(bytes);
  if (other) throw new ModelFormatError(file, `is ${other}`);
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: false });
  } catch (error) {
    const reason = (error as Error).message.replace(/^\[[^\]]*\]\s*/, '');
    throw new ModelFormatError(file, `is not a readable ONNX model: its protobuf does not parse (${reason}); the file is truncated or not ONNX`);
  }
  if (model.irVersion <= 0n || !model.graph) {
    throw new ModelFormatError(file, `is not an ONNX model: ${model.irVersion <= 0n ? 'it has no IR version' : 'it has no graph'} (${bytes.byteLength} bytes parsed as protobuf)`);
  }
  return model;
}

/** The default-domain opset the model imports (ONNX operators); other domains are named when their ops appear. */
export function defaultOpset(model: ModelProto, file: string): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  // IR version 2 files predate opset_import; they use opset 1.
  const opset = entry ? Number(entry.version) : 1;
  if (opset < 7 || opset > 23) {
    throw new ModelFormatError(file, `imports ONNX opset ${opset}; this tool reads opsets 7 to 21 (and 22–23 where the ops used did not change)`);
  }
  return opset;
}

/** Reads an external data file by its `location` (relative to the model's folder). */
export type ReadExternalFile = (location: string) => Promise<Uint8Array>;

/** External data files, read once each however many tensors they hold. */
export class ExternalData {
  private readonly files = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly file: string,
    private readonly read: ReadExternalFile | undefined,
  ) {}

  /** The files the tensors point at, checked to be plain relative paths inside the model's folder. */
  static locationOf(tensor: TensorProto, file: string): string {
    const location = tensor.externalData.find((e) => e.key === 'location')?.value;
    if (!location) throw new ModelFormatError(file, `initializer "${tensor.name}" is stored externally but names no location`);
    if (location.startsWith('/') || location.startsWith('\\') || /^[a-z]:/i.test(location) || location.split(/[/\\]/).includes('..')) {
      throw new ModelFormatError(file, `initializer "${tensor.name}" points at "${location}", outside the model's folder`);
    }
    return location;
  }

  async bytes(tensor: TensorProto, expected: number): Promise<Uint8Array> {
    const location = ExternalData.locationOf(tensor, this.file);
    const field = (key: string) => {
      const value = tensor.externalData.find((e) => e.key === key)?.value;
      if (value === undefined) return undefined;
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0) throw new ModelFormatError(this.file, `initializer "${tensor.name}": external ${key} "${value}" is not a byte count`);
      return n;
    };
    const offset = field('offset') ?? 0;
    const length = field('length') ?? expected;
    if (!this.read) throw new ModelFormatError(this.file, `initializer "${tensor.name}" is in the external data file "${location}", which was not given`);
    let pending = this.files.get(location);
    if (!pending) {
      pending = this.read(location).catch((error: unknown) => {
        if (error instanceof ModelFormatError) throw error;
        throw new ModelFormatError(this.file, `cannot read the external data file "${location}" beside it (${(error as Error).message}); keep the .onnx file and its data files together`);
      });
      this.files.set(location, pending);
    }
    const data = await pending;
    if (length !== expected) {
      throw new ModelFormatError(this.file, `initializer "${tensor.name}" says it is ${length} bytes in "${location}", its dims need ${expected}`);
    }
    if (offset + length > data.byteLength) {
      throw new ModelFormatError(this.file, `initializer "${tensor.name}" lies at bytes ${offset}–${offset + length} of "${location}", which has ${data.byteLength}: the data file is truncated or belongs to another model`);
    }
    return data.subarray(offset, offset + length);
  }
}

const bytesPerElement: Partial<Record<TensorProto_DataType, number>> = {
  [TensorProto_DataType.FLOAT]: 4,
  [TensorProto_DataType.FLOAT16]: 2,
  [TensorProto_DataType.BFLOAT16]: 2,
  [TensorProto_DataType.DOUBLE]: 8,
  [TensorProto_DataType.INT64]: 8,
  [TensorProto_DataType.INT32]: 4,
  [TensorProto_DataType.INT16]: 2,
  [TensorProto_DataType.UINT16]: 2,
  [TensorProto_DataType.INT8]: 1,
  [TensorProto_DataType.UINT8]: 1,
  [TensorProto_DataType.BOOL]: 1,
  [TensorProto_DataType.UINT32]: 4,
  [TensorProto_DataType.UINT64]: 8,
};

const typeNames: Record<number, string> = Object.fromEntries(
  Object.entries(TensorProto_DataType).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k]),
);

/** fp16 bits → float (subnormals, infinities and NaN included). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const isFloatType = (t: number) => t === TensorProto_DataType.FLOAT || t === TensorProto_DataType.FLOAT16 || t === TensorProto_DataType.BFLOAT16 || t === TensorProto_DataType.DOUBLE;

/** Element i of little-endian raw data of type `t`. */
function rawReader(t: number, bytes: Uint8Array): (i: number) => number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (t) {
    case TensorProto_DataType.FLOAT: return (i) => view.getFloat32(i * 4, true);
    case TensorProto_DataType.FLOAT16: return (i) => halfToFloat(view.getUint16(i * 2, true));
    case TensorProto_DataType.BFLOAT16: return (i) => new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0];
    case TensorProto_DataType.DOUBLE: return (i) => view.getFloat64(i * 8, true);
    case TensorProto_DataType.INT64: return (i) => Number(view.getBigInt64(i * 8, true));
    case TensorProto_DataType.UINT64: return (i) => Number(view.getBigUint64(i * 8, true));
    case TensorProto_DataType.INT32: return (i) => view.getInt32(i * 4, true);
    case TensorProto_DataType.UINT32: return (i) => view.getUint32(i * 4, true);
    case TensorProto_DataType.INT16: return (i) => view.getInt16(i * 2, true);
    case TensorProto_DataType.UINT16: return (i) => view.getUint16(i * 2, true);
    case TensorProto_DataType.INT8: return (i) => view.getInt8(i);
    default: return (i) => view.getUint8(i);
  }
}

/** The typed field that holds a tensor of type `t` when it is not in raw_data, as numbers. */
function typedField(tensor: TensorProto, t: number): { values: ArrayLike<number | bigint>; convert: (v: number | bigint) => number } {
  switch (t) {
    case TensorProto_DataType.FLOAT: return { values: tensor.floatData, convert: Number };
    case TensorProto_DataType.DOUBLE: return { values: tensor.doubleData, convert: Number };
    case TensorProto_DataType.INT64: return { values: tensor.int64Data, convert: Number };
    case TensorProto_DataType.UINT64:
    case TensorProto_DataType.UINT32: return { values: tensor.uint64Data, convert: Number };
    // fp16 and bf16 travel as their 16 bits in int32_data, as do the small integer types.
    case TensorProto_DataType.FLOAT16: return { values: tensor.int32Data, convert: (v) => halfToFloat(Number(v) & 0xffff) };
    case TensorProto_DataType.BFLOAT16: return { values: tensor.int32Data, convert: (v) => new Float32Array(new Uint32Array([(Number(v) & 0xffff) << 16]).buffer)[0] };
    default: return { values: tensor.int32Data, convert: Number };
  }
}

/** A tensor's values as a {@link Constant}, with its size checked against its dims. */
export async function readTensor(tensor: TensorProto, external: ExternalData, file: string, what = `initializer "${tensor.name}"`): Promise<Constant> {
  const dims = tensor.dims.map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new ModelFormatError(file, `${what} has dims [${tensor.dims.join(', ')}]`);
  const count = elementsOf(dims);
  const t = tensor.dataType;
  const size = bytesPerElement[t as TensorProto_DataType];
  if (size === undefined) throw new ModelFormatError(file, `${what} is of type ${typeNames[t] ?? t}; this tool reads float (32, 16, bf16, 64) and integer tensors`);
  const float = isFloatType(t);
  const values = float ? new Float32Array(count) : new Float64Array(count);
  if (tensor.dataLocation === TensorProto_DataLocation.EXTERNAL) {
    const bytes = await external.bytes(tensor, count * size);
    const at = rawReader(t, bytes);
    for (let i = 0; i < count; i++) values[i] = at(i);
  } else if (tensor.rawData.byteLength > 0 || count === 0) {
    if (tensor.rawData.byteLength !== count * size) {
      throw new ModelFormatError(file, `${what} holds ${tensor.rawData.byteLength} bytes, its dims [${dims.join(', ')}] of ${typeNames[t]} need ${count * size}`);
    }
    if (t === TensorProto_DataType.FLOAT && tensor.rawData.byteOffset % 4 === 0) {
      values.set(new Float32Array(tensor.rawData.buffer, tensor.rawData.byteOffset, count));
    } else {
      const at = rawReader(t, tensor.rawData);
      for (let i = 0; i < count; i++) values[i] = at(i);
    }
  } else {
    const field = typedField(tensor, t);
    if (field.values.length !== count) {
      throw new ModelFormatError(file, `${what} holds ${field.values.length} values, its dims [${dims.join(', ')}] need ${count}`);
    }
    for (let i = 0; i < count; i++) values[i] = field.convert(field.values[i]);
  }
  return { dims, type: float ? 'float' : 'int', values };
}
