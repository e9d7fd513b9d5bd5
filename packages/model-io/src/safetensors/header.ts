import { DTYPE_BYTES, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.js';
import { SafetensorsError } from './errors.js';

/** One tensor's entry in a safetensors header; offsets are relative to the start of the data block. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** [begin, end) byte offsets within the data block (after the 8-byte length and the JSON header). */
  readonly dataOffsets: readonly [number, number];
}

export interface SafetensorsHeader {
  readonly tensors: ReadonlyMap<string, TensorEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute file offset of the data block: 8 + header length. */
  readonly dataStart: number;
}

/** Largest header the format allows (the reference implementation caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parse and validate a safetensors header (format: u64 little-endian header length N, N bytes of
 * UTF-8 JSON, then the tensor data). Every entry is checked against the file size: known dtype,
 * non-negative integer shape, byte length = numel x dtype size, offsets inside the data block.
 */
export function parseHeader(file: string, prefix: Uint8Array, fileSize: number): SafetensorsHeader {
  if (fileSize < 8) throw new SafetensorsError(file, undefined, `file is ${fileSize} bytes, too short for a header`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
    throw new SafetensorsError(file, undefined, `header length ${headerLength} exceeds the file size ${fileSize}`);
  }
  if (prefix.byteLength < 8 + headerLength) {
    throw new SafetensorsError(file, undefined, 'internal: header prefix not fully read');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + headerLength)));
  } catch (err) {
    throw new SafetensorsError(file, undefined, `header is not valid JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SafetensorsError(file, undefined, 'header JSON is not an object');
  }
  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(file, raw);
      continue;
    }
    tensors.set(name, parseEntry(file, name, raw, dataLength));
  }
  return { tensors, metadata, dataStart };
}

function parseMetadata(file: string, raw: unknown): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SafetensorsError(file, undefined, '__metadata__ is not an object of strings');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new SafetensorsError(file, undefined, `__metadata__.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function parseEntry(file: string, name: string, raw: unknown, dataLength: number): TensorEntry {
  const fail = (detail: string): never => {
    throw new SafetensorsError(file, name, detail);
  };
  if (raw === null || typeof raw !== 'object') fail('header entry is not an object');
  const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (!isSafetensorsDtype(entry.dtype)) {
    fail(`unknown dtype ${JSON.stringify(entry.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  const dtype = entry.dtype as SafetensorsDtype;
  const shape = entry.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  const offsets = entry.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[1] < offsets[0]
  ) {
    fail(`data_offsets ${JSON.stringify(offsets)} is not an ordered [begin, end] pair`);
  }
  const [begin, end] = offsets as [number, number];
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const expectedBytes = numel * DTYPE_BYTES[dtype];
  if (end - begin !== expectedBytes) {
    fail(`holds ${end - begin} bytes but ${dtype}${JSON.stringify(shape)} needs ${expectedBytes}`);
  }
  if (end > dataLength) {
    fail(`data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes; file truncated?)`);
  }
  return { name, dtype, shape: shape as number[], dataOffsets: [begin, end] };
}
