import type { HostArray } from '../host-array.js';

/**
 * Per-sequence views of batched forward outputs. A padded batch holds [B, Tmax, d] hidden states and
 * [B, H, Tmax, Tmax] patterns; sequence b's real tokens are its first `len` positions (and keys).
 */
export function sequenceRows(t: HostArray, b: number, len: number): Float32Array {
  const [, tMax, ...rest] = t.shape;
  const inner = rest.reduce((a, c) => a * c, 1);
  return t.data.subarray(b * tMax * inner, (b * tMax + len) * inner);
}

/** Sequence b's [H, len, len] attention maps out of [B, H, Tmax, Tmax] (a copy unless len = Tmax). */
export function sequencePattern(t: HostArray, b: number, len: number): Float32Array {
  const [, heads, tMax] = t.shape;
  const start = b * heads * tMax * tMax;
  if (len === tMax) return t.data.subarray(start, start + heads * tMax * tMax);
  const out = new Float32Array(heads * len * len);
  for (let h = 0; h < heads; h++)
    for (let q = 0; q < len; q++) out.set(t.data.subarray(start + (h * tMax + q) * tMax, start + (h * tMax + q) * tMax + len), (h * len + q) * len);
  return out;
}

/** Sequence b's [len, heads, hd] per-head vectors (hook_q/k/v) rearranged to [heads, len, hd]. */
export function sequenceHeads(t: HostArray, b: number, len: number): Float32Array {
  const [, tMax, heads, hd] = t.shape;
  const out = new Float32Array(heads * len * hd);
  for (let p = 0; p < len; p++)
    for (let h = 0; h < heads; h++) out.set(t.data.subarray(((b * tMax + p) * heads + h) * hd, ((b * tMax + p) * heads + h + 1) * hd), (h * len + p) * hd);
  return out;
}
