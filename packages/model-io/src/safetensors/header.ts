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
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + headerLength));
    json = JSON.parse(headerText);
  } catch (err) {
    throw new SafetensorsError(file, undefined, `header is not valid JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SafetensorsError(file, undefined, 'header JSON is not an object');
  }
  const duplicate = firstDuplicateKey(headerText);
  if (duplicate !== undefined) {
    throw new SafetensorsError(file, duplicate === '__metadata__' ? undefined : duplicate, `${duplicate === '__metadata__' ? '__metadata__ is' : 'is'} listed twice in the header`);
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
  checkNoOverlap(file, tensors);
  return { tensors, metadata, dataStart };
}

/**
 * Two tensors may not share bytes (the reference implementation requires them back to back): an
 * overlap means a corrupt or hand-edited header, and one tensor would silently read the other's data.
 */
function checkNoOverlap(file: string, tensors: ReadonlyMap<string, TensorEntry>): void {
  const byBegin = [...tensors.values()].filter((t) => t.dataOffsets[1] > t.dataOffsets[0]).sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  for (let i = 1; i < byBegin.length; i++) {
    const prev = byBegin[i - 1];
    const next = byBegin[i];
    if (next.dataOffsets[0] < prev.dataOffsets[1]) {
      throw new SafetensorsError(
        file,
        next.name,
        `data_offsets [${next.dataOffsets.join(', ')}] overlap those of tensor '${prev.name}' [${prev.dataOffsets.join(', ')}]`,
      );
    }
  }
}

/**
 * The first key the header's top-level JSON object lists twice (JSON.parse keeps the last silently).
 * The text is already known to be valid JSON, so a scan of strings and nesting depth is enough.
 */
export function firstDuplicateKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth += 1;
      expectKey = depth === 1;
    } else if (c === '}' || c === ']') {
      depth -= 1;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return undefined;
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
