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
