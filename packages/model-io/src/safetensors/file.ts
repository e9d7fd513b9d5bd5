import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { bf16ToF32, DTYPE_BYTES, f16ToF32 } from './dtypes.js';
import { SafetensorsError } from './errors.js';
import { isFloatDtype, scanNonFinite } from './finite-scan.js';
import { parseHeader, type SafetensorsHeader, type TensorEntry } from './header.js';
import { numel, type HostTensor } from './tensor-data.js';

/**
 * One open safetensors file. Only the header is read on open; each tensor is read on demand at its
 * byte offset, so a checkpoint larger than memory can be walked tensor by tensor.
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
    readonly header: SafetensorsHeader,
  ) {}

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new SafetensorsError(path, undefined, `cannot open (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
    try {
      const size = fstatSync(fd).size;
      const lengthBytes = new Uint8Array(8);
      if (size >= 8) readSync(fd, lengthBytes, 0, 8, 0);
      const headerLength = size >= 8 ? Number(new DataView(lengthBytes.buffer).getBigUint64(0, true)) : 0;
      const prefixLength = Math.min(size, 8 + Math.min(headerLength, 100_000_001));
      const prefix = new Uint8Array(prefixLength);
      if (prefixLength > 0) readSync(fd, prefix, 0, prefixLength, 0);
      const header = parseHeader(path, prefix, size);
      return new SafetensorsFile(path, fd, header);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  get names(): string[] {
    return [...this.header.tensors.keys()];
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.header.metadata;
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  entry(name: string): TensorEntry {
    const entry = this.header.tensors.get(name);
    if (!entry) throw new SafetensorsError(this.path, name, 'no such tensor in this file');
    return entry;
  }

  /** Raw bytes of one tensor, exactly as stored. */
  readBytes(name: string): Uint8Array {
    const entry = this.entry(name);
    if (this.fd === undefined) throw new SafetensorsError(this.path, name, 'file is closed');
    const [begin, end] = entry.dataOffsets;
    const bytes = new Uint8Array(end - begin);
    let done = 0;
    while (done < bytes.byteLength) {
      const n = readSync(this.fd, bytes, done, bytes.byteLength - done, this.header.dataStart + begin + done);
      if (n === 0) throw new SafetensorsError(this.path, name, 'unexpected end of file while reading data');
      done += n;
    }
    return bytes;
  }

  /** A float tensor upcast to float32 (F32, F16, BF16, F64). */
  readFloat32(name: string): HostTensor<Float32Array> {
    const entry = this.entry(name);
    const bytes = this.readBytes(name);
    const count = numel(entry.shape);
    let data: Float32Array;
    switch (entry.dtype) {
      case 'F32':
        data = new Float32Array(bytes.buffer, bytes.byteOffset, count);
        break;
      case 'F16':
        data = f16ToF32(bytes, count);
        break;
      case 'BF16':
        data = bf16ToF32(bytes, count);
        break;
      case 'F64':
        data = Float32Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, count));
        break;
      default:
        throw new SafetensorsError(this.path, name, `dtype ${entry.dtype} is not a float dtype (expected F32, F16, BF16 or F64)`);
    }
    return { name, storedDtype: entry.dtype, shape: entry.shape, data };
  }

  /**
   * NaN and infinities in a float tensor as float32 would hold them (F64 values beyond float32's range
   * included), found by scanning the stored bytes in chunks (finite-scan.ts): no float32 copy of the
   * tensor is made. Undefined when every value is finite.
   */
  nonFinite(name: string): { first: number; value: number; count: number; total: number } | undefined {
    const entry = this.entry(name);
    const fd = this.fd;
    if (fd === undefined) throw new SafetensorsError(this.path, name, 'file is closed');
    const dtype = entry.dtype;
    if (!isFloatDtype(dtype)) throw new SafetensorsError(this.path, name, `dtype ${dtype} is not a float dtype (expected F32, F16, BF16 or F64)`);
    const [begin, end] = entry.dataOffsets;
    const start = this.header.dataStart + begin;
    const { first, count } = scanNonFinite(dtype, end - begin, (chunk, at) => {
      let got = 0;
      while (got < chunk.byteLength) {
        const n = readSync(fd, chunk, got, chunk.byteLength - got, start + at + got);
        if (n === 0) throw new SafetensorsError(this.path, name, 'unexpected end of file while reading data');
        got += n;
      }
    });
    if (count === 0) return undefined;
    const size = DTYPE_BYTES[dtype];
    const one = new Uint8Array(size);
    readSync(fd, one, 0, size, start + first * size);
    const value = dtype === 'F32' ? new Float32Array(one.buffer)[0] : dtype === 'F16' ? f16ToF32(one, 1)[0] : dtype === 'BF16' ? bf16ToF32(one, 1)[0] : Math.fround(new Float64Array(one.buffer)[0]);
    return { first, value, count, total: numel(entry.shape) };
  }

  /** An integer tensor (I64, I32, I16, I8, U8, BOOL) as int32; I64 values must fit in int32. */
  readInt32(name: string): HostTensor<Int32Array> {
    const entry = this.entry(name);
    const bytes = this.readBytes(name);
    const count = numel(entry.shape);
    const out = new Int32Array(count);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = DTYPE_BYTES[entry.dtype];
    for (let i = 0; i < count; i++) {
      switch (entry.dtype) {
        case 'I64': {
          const v = view.getBigInt64(i * 8, true);
          if (v > 2147483647n || v < -2147483648n) throw new SafetensorsError(this.path, name, `value ${v} at ${i} does not fit in int32`);
          out[i] = Number(v);
          break;
        }
        case 'I32':
          out[i] = view.getInt32(i * size, true);
          break;
        case 'I16':
          out[i] = view.getInt16(i * size, true);
          break;
        case 'I8':
          out[i] = view.getInt8(i);
          break;
        case 'U8':
        case 'BOOL':
          out[i] = view.getUint8(i);
          break;
        default:
          throw new SafetensorsError(this.path, name, `dtype ${entry.dtype} is not an integer dtype`);
      }
    }
    return { name, storedDtype: entry.dtype, shape: entry.shape, data: out };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Read every tensor of a small file into memory (floats as float32, integers as int32). */
export function readSafetensors(path: string): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  const file = SafetensorsFile.open(path);
  try {
    const tensors = new Map<string, HostTensor>();
    for (const name of file.names) {
      const dtype = file.entry(name).dtype;
      tensors.set(name, dtype.startsWith('F') || dtype === 'BF16' ? file.readFloat32(name) : file.readInt32(name));
    }
    return { tensors, metadata: { ...file.metadata } };
  } finally {
    file.close();
  }
}
