import type { HostArray } from '../host-array.js';

/**
 * cos/sin tables of half-split rotary embeddings (RoFormer; transformers' rotate_half convention):
 * inv_freq[j] = 1 / base^(2j/r) for j < r/2, angle = position * inv_freq, duplicated as [f, f].
 * Rounded through float32 at each step as transformers computes them, so tables match to the ulp.
 */
export function rotaryTables(seqLen: number, rotaryDim: number, base: number): { cos: Float32Array; sin: Float32Array } {
  const half = rotaryDim / 2;
  const invFreq = new Float32Array(half);
  for (let j = 0; j < half; j++) invFreq[j] = Math.fround(1 / Math.fround(base ** Math.fround((2 * j) / rotaryDim)));
  const cos = new Float32Array(seqLen * rotaryDim);
  const sin = new Float32Array(seqLen * rotaryDim);
  for (let t = 0; t < seqLen; t++) {
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(t * invFreq[j]);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[t * rotaryDim + j] = c;
      cos[t * rotaryDim + half + j] = c;
      sin[t * rotaryDim + j] = s;
      sin[t * rotaryDim + half + j] = s;
    }
  }
  return { cos, sin };
}

/**
 * Sinusoidal position table [T, d] (Vaswani et al. 2017 sec. 3.5): sin at even dims, cos at odd. The
 * trainer adds it to token embeddings; `model_type: "sinkscope"` checkpoints without a wpe tensor get it.
 */
export function sinusoidalTable(positions: number, d: number): HostArray {
  const data = new Float32Array(positions * d);
  for (let t = 0; t < positions; t++) {
    for (let i = 0; i < d; i += 2) {
      const angle = t / Math.pow(10000, i / d);
      data[t * d + i] = Math.sin(angle);
      if (i + 1 < d) data[t * d + i + 1] = Math.cos(angle);
    }
  }
  return { shape: [positions, d], data };
}

/**
 * ALiBi slopes per head (Press et al. 2022), as transformers' bloom `build_alibi_tensor` (v4.57.1
 * modeling_bloom.py): for the largest power of two n <= heads, base^1..base^n with
 * base = 2^(-2^-(log2 n - 3)) (2^(-8h/n)); the remaining heads take the odd powers 1, 3, 5, ... of
 * 2^(-2^-(log2 2n - 3)) (the slopes of 2n heads that the first n skipped). Float32, as torch computes them.
 */
export function alibiSlopes(heads: number): number[] {
  const closest = 2 ** Math.floor(Math.log2(heads));
  const base = Math.fround(2 ** -(2 ** -(Math.log2(closest) - 3)));
  const slopes = Array.from({ length: closest }, (_, i) => Math.fround(base ** (i + 1)));
  if (closest !== heads) {
    const extraBase = Math.fround(2 ** -(2 ** -(Math.log2(2 * closest) - 3)));
    const remaining = Math.min(closest, heads - closest);
    for (let i = 0; i < remaining; i++) slopes.push(Math.fround(extraBase ** (2 * i + 1)));
  }
  return slopes;
}

/**
 * ALiBi bias [H, T]: slope_h x key position s, for every query (right padding keeps real keys at
 * 0..len-1, as transformers' `(cumsum(mask) - 1) * mask`). Per query row it equals -slope_h (t - s) up
 * to a constant, which the softmax ignores.
 */
export function alibiBias(slopes: readonly number[], seqLen: number): Float32Array {
  const bias = new Float32Array(slopes.length * seqLen);
  slopes.forEach((slope, h) => {
    for (let s = 0; s < seqLen; s++) bias[h * seqLen + s] = slope * s;
  });
  return bias;
}
