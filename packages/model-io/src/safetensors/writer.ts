import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { DTYPE_BYTES, type SafetensorsDtype } from './dtypes.js';
import { numel } from './tensor-data.js';

export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  /** Float32Array -> F32, Int32Array -> I32; BigInt64Array -> I64. */
  readonly data: Float32Array | Int32Array | BigInt64Array;
}

/**
 * A tensor given as its stored bytes, produced only when the writer reaches it and chunk by chunk (so
 * a file larger than memory can be written): any dtype, `chunks()` yielding numel x dtype size bytes in all.
 */
export interface RawTensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: SafetensorsDtype;
  readonly chunks: () => Iterable<Uint8Array>;
}

/**
 * Write tensors as one safetensors file. The file appears atomically (written to a temp file, then
 * renamed), so an interrupted write never leaves a half file under the final name. Header entries
 * are padded with spaces to an 8-byte boundary, as the reference writer does.
 */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): void {
  const raw = tensors.map((t): RawTensorToWrite => {
    if (t.data.length !== numel(t.shape)) {
      throw new Error(`writeSafetensors ${path}: tensor '${t.name}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    }
    const dtype = t.data instanceof Float32Array ? 'F32' : t.data instanceof Int32Array ? 'I32' : 'I64';
    return { name: t.name, shape: t.shape, dtype, chunks: () => [new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)] };
  });
  writeRawSafetensors(path, raw, metadata);
}

/** `writeSafetensors` for tensors given as stored bytes of any dtype, each produced when it is written. */
export function writeRawSafetensors(path: string, tensors: readonly RawTensorToWrite[], metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const lengths = tensors.map((t) => numel(t.shape) * DTYPE_BYTES[t.dtype]);
  tensors.forEach((t, i) => {
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + lengths[i]] };
    offset += lengths[i];
  });
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(headerBytes.byteLength));
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, lengthBytes);
    writeSync(fd, headerBytes);
    tensors.forEach((t, i) => {
      let written = 0;
      for (const chunk of t.chunks()) {
        for (let done = 0; done < chunk.byteLength; ) done += writeSync(fd, chunk, done, chunk.byteLength - done);
        written += chunk.byteLength;
      }
      if (written !== lengths[i]) throw new Error(`writeSafetensors ${path}: tensor '${t.name}' gave ${written} bytes for ${t.dtype} [${t.shape.join(', ')}] (${lengths[i]} expected)`);
    });
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmp, { force: true });
    throw err;
  }
}
