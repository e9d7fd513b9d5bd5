/** Safetensors dtypes this reader understands, with their element size in bytes. */
export const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

/** Float dtypes that are upcast to float32 when read (the forward pass runs in float32). */
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F64', 'F32', 'F16', 'BF16'];

/** IEEE half -> float32, exact (every f16 value is representable in f32). */
export function f16ToF32(bytes: Uint8Array, count: number): Float32Array {
  const src = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const h = src[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24; // subnormal
    else if (exp === 0x1f) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** bfloat16 -> float32: bf16 is the top half of an f32, so shift it back into place. */
export function bf16ToF32(bytes: Uint8Array, count: number): Float32Array {
  const src = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const bits = new Uint32Array(count);
  for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
  return new Float32Array(bits.buffer);
}
