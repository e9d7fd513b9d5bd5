/**
 * NaN/Inf scan of stored float bytes (F32, F16, BF16, F64 as float32 would hold them), without a
 * float32 copy. The happy path is one WebAssembly SIMD loop over each chunk, read straight into the
 * module's memory (finite-scan.wat: the exponent-bits test, 64 bytes per iteration, OR-reduced, one
 * answer per chunk): ~40 GB/s on 1 MiB chunks, against 3-8 GB/s for the same test as JavaScript word
 * loops (a bounds check per word), so the scan runs at the speed of reading the file. Only a chunk
 * that fails is walked value by value, for the exact first index and count.
 */
import { DTYPE_BYTES, type SafetensorsDtype } from './dtypes.js';
import { FINITE_SCAN_WASM_BASE64 } from './finite-scan-wasm.js';

export type FloatDtype = Extract<SafetensorsDtype, 'F32' | 'F16' | 'BF16' | 'F64'>;

/**
 * Bytes per chunk: small enough to stay in L2 between the read that fills it and the scan (read and
 * scan of GPT-2 small's file: ~5 GB/s, the read's copy from the page cache; 16 MiB chunks: 2.5-4 GB/s).
 */
export const SCAN_CHUNK_BYTES = 1 << 20;

/** `first`: element index of the first non-finite value, -1 when none. */
export interface NonFiniteCount {
  readonly first: number;
  readonly count: number;
}

export interface ScanOptions {
  /** A multiple of 64 (tests use small chunks to cross chunk boundaries). */
  readonly chunkBytes?: number;
  /** false: the exact walk over every chunk (also what runs where WebAssembly is unavailable). */
  readonly simd?: boolean;
}

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64';
}

/**
 * Count the non-finite values of a tensor of `byteLength` stored bytes; `fill(chunk, at)` must write
 * the tensor's bytes [at, at + chunk.byteLength) into `chunk`, a view of the kernel's one buffer (so
 * valid only during the call, and `fill` must not start another scan).
 */
export function scanNonFinite(dtype: FloatDtype, byteLength: number, fill: (chunk: Uint8Array, at: number) => void, options: ScanOptions = {}): NonFiniteCount {
  const chunkBytes = options.chunkBytes ?? SCAN_CHUNK_BYTES;
  if (!(chunkBytes > 0 && chunkBytes % UNROLL_BYTES === 0)) throw new Error(`scanNonFinite: chunkBytes must be a positive multiple of ${UNROLL_BYTES}, got ${chunkBytes}`);
  const size = DTYPE_BYTES[dtype];
  const kernel = options.simd === false ? undefined : simdKernel();
  const buffer = kernel ? kernel.buffer(chunkBytes) : new Uint8Array(Math.min(byteLength, chunkBytes));
  let first = -1;
  let count = 0;
  for (let at = 0; at < byteLength; at += chunkBytes) {
    const want = Math.min(chunkBytes, byteLength - at);
    const chunk = buffer.subarray(0, want);
    fill(chunk, at);
    if (kernel && !kernel.any(dtype, want)) continue;
    const bad = exact(dtype, chunk);
    if (bad.count > 0 && first < 0) first = at / size + bad.first;
    count += bad.count;
  }
  return { first, count };
}

/** Value by value; the reference the SIMD test must agree with. */
function exact(dtype: FloatDtype, b: Uint8Array): NonFiniteCount {
  switch (dtype) {
    case 'F32':
      return nonFiniteFloats(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4));
    case 'F16':
      return walk(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2), (v) => (v & 0x7c00) === 0x7c00);
    case 'BF16':
      return walk(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2), (v) => (v & 0x7f80) === 0x7f80);
    case 'F64':
      return walk(new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8), (v) => !Number.isFinite(Math.fround(v)));
  }
}

/** The NaN and infinities of float32 values already in memory (a tensor read and upcast). */
export function nonFiniteFloats(values: Float32Array): NonFiniteCount {
  return walk(values, (v) => !Number.isFinite(v));
}

function walk(values: ArrayLike<number>, bad: (v: number) => boolean): NonFiniteCount {
  let first = -1;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (bad(values[i])) {
      if (first < 0) first = i;
      count += 1;
    }
  }
  return { first, count };
}

/** Bytes one loop iteration of the kernel tests (four 128-bit loads). */
const UNROLL_BYTES = 64;

const DTYPES: readonly FloatDtype[] = ['F32', 'F16', 'BF16', 'F64']; // the module's exports

interface SimdKernel {
  /** A view of the module's memory at 0 with room for `bytes` (grown when needed). */
  buffer(bytes: number): Uint8Array;
  /** Whether the first `bytes` of the memory hold a non-finite value of `dtype`. */
  any(dtype: FloatDtype, bytes: number): boolean;
}

let kernel: SimdKernel | null | undefined; // null: WebAssembly (SIMD) unavailable here

/** Whether scans run the SIMD kernel here (the tests pin it: a broken module would only make scans slow). */
export function simdScanAvailable(): boolean {
  return simdKernel() !== undefined;
}

function simdKernel(): SimdKernel | undefined {
  if (kernel === undefined) {
    try {
      kernel = instantiate();
    } catch {
      kernel = null; // e.g. --jitless: the exact walk still finds everything, slower
    }
  }
  return kernel ?? undefined;
}

/** The part of the WebAssembly API used here (this repo's TS libs declare no WebAssembly values). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

function instantiate(): SimdKernel {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) throw new Error('no WebAssembly');
  const instance = new wasm.Instance(new wasm.Module(Buffer.from(FINITE_SCAN_WASM_BASE64, 'base64')));
  const memory = instance.exports.memory as WasmMemory;
  const tests = DTYPES.map((d) => instance.exports[d] as (end: number) => number);
  return {
    buffer(bytes) {
      const missing = bytes - memory.buffer.byteLength;
      if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
      return new Uint8Array(memory.buffer, 0, bytes); // grow detaches the old buffer: always a fresh view
    },
    any(dtype, bytes) {
      const end = Math.ceil(bytes / UNROLL_BYTES) * UNROLL_BYTES; // within the buffer: chunks are multiples of 64
      new Uint8Array(memory.buffer, bytes, end - bytes).fill(0);
      return tests[DTYPES.indexOf(dtype)](end) !== 0;
    },
  };
}

const PAGE = 65536;
