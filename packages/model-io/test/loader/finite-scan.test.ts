// The NaN/Inf scan of stored weights (safetensors/finite-scan.ts): its WebAssembly SIMD test must find
// exactly what a value-by-value check of the upcast float32 finds (first index, count), at any position
// (first, last, the tail past the 64-byte unrolled width, across chunk boundaries), in every float dtype.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, SafetensorsFile, writeRawSafetensors } from '../../src/index.js';
import { scanNonFinite, simdScanAvailable, type FloatDtype } from '../../src/safetensors/finite-scan.js';
import { finiteScanWasmSource } from '../../tools/write-finite-scan-wasm.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-finite-scan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SIZE: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
const DTYPES = Object.keys(SIZE) as FloatDtype[];

/** Stored bit patterns: a finite filler, NaN, +Inf, -Inf and the largest finite value (sign cleared). */
const BITS: Record<FloatDtype, { one: bigint; nan: bigint; inf: bigint; negInf: bigint; max: bigint }> = {
  F32: { one: 0x3f800000n, nan: 0x7fc00000n, inf: 0x7f800000n, negInf: 0xff800000n, max: 0x7f7fffffn },
  F16: { one: 0x3c00n, nan: 0x7e00n, inf: 0x7c00n, negInf: 0xfc00n, max: 0x7bffn },
  BF16: { one: 0x3f80n, nan: 0x7fc0n, inf: 0x7f80n, negInf: 0xff80n, max: 0x7f7fn },
  // F64's max is the largest double Math.fround keeps finite (it rounds to FLT_MAX); one ulp more rounds to Infinity
  F64: { one: 0x3ff0000000000000n, nan: 0x7ff8000000000000n, inf: 0x7ff0000000000000n, negInf: 0xfff0000000000000n, max: 0x47efffffefffffffn },
};

function encode(dtype: FloatDtype, bits: readonly bigint[]): Uint8Array {
  const size = SIZE[dtype];
  const bytes = new Uint8Array(bits.length * size);
  const view = new DataView(bytes.buffer);
  bits.forEach((b, i) => (size === 8 ? view.setBigUint64(8 * i, b, true) : size === 4 ? view.setUint32(4 * i, Number(b), true) : view.setUint16(2 * i, Number(b), true)));
  return bytes;
}

/** The reference: upcast to float32 as `read` does, then Number.isFinite, value by value. */
function reference(dtype: FloatDtype, bytes: Uint8Array): { first: number; count: number } {
  const n = bytes.byteLength / SIZE[dtype];
  const copy = bytes.slice();
  const f32 = dtype === 'F32' ? new Float32Array(copy.buffer) : dtype === 'F16' ? f16ToF32(copy, n) : dtype === 'BF16' ? bf16ToF32(copy, n) : Float32Array.from(new Float64Array(copy.buffer));
  let first = -1;
  let count = 0;
  f32.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      if (first < 0) first = i;
      count += 1;
    }
  });
  return { first, count };
}

function scan(dtype: FloatDtype, bytes: Uint8Array, options: { chunkBytes?: number; simd?: boolean } = {}) {
  return scanNonFinite(dtype, bytes.byteLength, (chunk, at) => chunk.set(bytes.subarray(at, at + chunk.byteLength)), options);
}

describe('scanNonFinite', () => {
  it('the committed kernel is finite-scan.wat as wabt compiles it', async () => {
    const committed = readFileSync(new URL('../../src/safetensors/finite-scan-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await finiteScanWasmSource());
  });

  it('runs the WebAssembly SIMD kernel here (a broken module would fall back to the slow exact walk silently)', () => {
    expect(simdScanAvailable()).toBe(true);
  });

  // lengths around the 64-byte unrolled width (16 F32, 32 F16/BF16, 8 F64 values) and past one 1 MiB chunk
  const lengths = [1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 65, 1000, 300_001];
  describe.each(DTYPES)('%s', (dtype) => {
    const b = BITS[dtype];
    it.each(lengths)('%i values: a bad value first, in the middle, last; none when clean', (n) => {
      const clean = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? b.max | (BigInt(i % 2) << BigInt(8 * SIZE[dtype] - 1)) : b.one));
      for (const options of [{}, { chunkBytes: 64 }, { chunkBytes: 192 }, { simd: false }]) {
        expect(scan(dtype, encode(dtype, clean), options), `clean ${JSON.stringify(options)}`).toEqual({ first: -1, count: 0 });
        for (const [at, bad] of [[n - 1, b.nan], [Math.floor(n / 2), b.negInf], [0, b.inf]] as const) {
          const bits = clean.slice();
          bits[at] = bad;
          const bytes = encode(dtype, bits);
          expect(scan(dtype, bytes, options), `${bad.toString(16)} at ${at} ${JSON.stringify(options)}`).toEqual({ first: at, count: 1 });
        }
        // several: the first and the count
        if (n >= 3) {
          const bits = clean.slice();
          for (const at of [n - 1, 1, Math.floor(n / 2)]) bits[at] = b.nan;
          expect(scan(dtype, encode(dtype, bits), options)).toEqual({ first: 1, count: new Set([n - 1, 1, Math.floor(n / 2)]).size });
        }
      }
    });

    it('random bit patterns (NaN payloads, subnormals, both signs): the same first index and count as upcasting each value', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 700 }), fc.integer({ min: 1, max: 8 }), (raw, chunks) => {
          const bytes = raw.subarray(0, raw.byteLength - (raw.byteLength % SIZE[dtype]));
          const want = reference(dtype, bytes);
          expect(scan(dtype, bytes)).toEqual(want);
          expect(scan(dtype, bytes, { chunkBytes: 64 * chunks })).toEqual(want);
          expect(scan(dtype, bytes, { simd: false })).toEqual(want);
        }),
        { numRuns: 300 },
      );
    });
  });

  it('F64: values float32 cannot hold count, as Math.fround makes them infinite (the boundary exactly)', () => {
    const finite = [0x47efffffefffffffn, 0xc7efffffefffffffn, 0x3ff0000000000000n];
    expect(scan('F64', encode('F64', finite))).toEqual({ first: -1, count: 0 });
    // each alone among finite values, so no other value in its chunk sends the scan to the exact walk
    for (const bad of [0x47effffff0000000n, 0xc7effffff0000000n, 0x7fefffffffffffffn, 0x0000000000000001n | 0x7ff0000000000000n]) {
      const bytes = encode('F64', [...finite, bad, ...finite]);
      expect(reference('F64', bytes), bad.toString(16)).toEqual({ first: 3, count: 1 });
      expect(scan('F64', bytes), bad.toString(16)).toEqual({ first: 3, count: 1 });
    }
  });

  it('refuses a chunk size the kernel cannot step through', () => {
    expect(() => scan('F32', new Uint8Array(8), { chunkBytes: 100 })).toThrow('chunkBytes must be a positive multiple of 64, got 100');
  });
});

describe('SafetensorsFile.nonFinite', () => {
  // a NaN at a known index in each dtype, in a tensor whose length is no multiple of the unrolled width and
  // spans two of the scan's 1 MiB chunks; a second bad value in the tail is counted, not reported first
  it.each(DTYPES)('%s: the first index, its value as float32, the count and the total', (dtype) => {
    const b = BITS[dtype];
    const n = Math.ceil((1.5 * 2 ** 20) / SIZE[dtype]) + 5;
    const first = Math.floor((1.2 * 2 ** 20) / SIZE[dtype]) + 3; // in the second chunk
    const bits = new Array<bigint>(n).fill(b.one);
    bits[first] = b.negInf;
    bits[n - 1] = b.nan;
    const file = join(tmp, `${dtype}.safetensors`);
    const tensors = [
      { name: 'bad', bits },
      { name: 'clean', bits: bits.map(() => b.max) },
      { name: 'odd', bits: [b.one, b.one, b.one, b.one, b.inf] },
    ];
    writeRawSafetensors(file, tensors.map((t) => ({ name: t.name, shape: [t.bits.length], dtype, chunks: () => [encode(dtype, t.bits)] })));
    const st = SafetensorsFile.open(file);
    try {
      expect(st.nonFinite('bad')).toEqual({ first, value: -Infinity, count: 2, total: n });
      expect(st.nonFinite('clean')).toBeUndefined();
      expect(st.nonFinite('odd')).toEqual({ first: 4, value: Infinity, count: 1, total: 5 });
    } finally {
      st.close();
    }
  });

  it('refuses an integer tensor', () => {
    const file = join(tmp, 'ints.safetensors');
    writeRawSafetensors(file, [{ name: 'ids', shape: [2], dtype: 'I32', chunks: () => [new Uint8Array(8)] }]);
    const st = SafetensorsFile.open(file);
    try {
      expect(() => st.nonFinite('ids')).toThrow(`${file}: tensor 'ids': dtype I32 is not a float dtype (expected F32, F16, BF16 or F64)`);
    } finally {
      st.close();
    }
  });
});
