import type { RotaryScheme } from '../arch-spec.js';
import type { HostArray } from '../host-array.js';

/**
 * Inverse frequencies of a rotary scheme for a (padded) batch of `seqLen` positions, and the factor
 * cos and sin are multiplied by, following transformers v4.57.1 modeling_rope_utils.py: plain
 * base^(-2j/r) (`_compute_default_rope_parameters`, rounded through float32 at each step as torch
 * computes it, so plain tables match transformers' to the ulp) or the `rope_scaling` type's
 * (`_compute_*_parameters`, in float64, then float32). `dynamic` and `longrope` depend on the batch
 * length as `dynamic_rope_update` makes them (max(position_ids) + 1 = the padded length, a freshly
 * loaded model's first call: transformers' rotary module keeps a grown table for later shorter calls).
 */
export function rotaryInverseFrequencies(scheme: RotaryScheme, seqLen: number): { invFreq: Float32Array; attentionFactor: number } {
  const r = scheme.rotaryDim;
  const half = r / 2;
  const s = scheme.scaling;
  const exponent = (j: number) => (2 * j) / r;
  const fromBase = (base: number) => Float64Array.from({ length: half }, (_, j) => 1 / base ** exponent(j));
  let inv: Float64Array;
  let attentionFactor = 1;
  switch (s?.type) {
    case undefined: {
      const invFreq = new Float32Array(half);
      for (let j = 0; j < half; j++) invFreq[j] = Math.fround(1 / Math.fround(scheme.base ** Math.fround(exponent(j))));
      return { invFreq, attentionFactor };
    }
    case 'linear':
      inv = fromBase(scheme.base).map((f) => f / s.factor);
      break;
    case 'dynamic': {
      // _compute_dynamic_ntk_parameters: base * (factor T / max - (factor - 1))^(r / (r - 2)) once T > max
      const grown = seqLen > s.maxPositions ? scheme.base * ((s.factor * seqLen) / s.maxPositions - (s.factor - 1)) ** (r / (r - 2)) : scheme.base;
      inv = fromBase(grown);
      break;
    }
    case 'llama3': {
      // _compute_llama3_parameters: wavelengths beyond original/low_freq_factor divided by factor, below
      // original/high_freq_factor kept, a linear ramp in original/wavelength between
      const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
      const highWavelen = s.originalMaxPositions / s.highFreqFactor;
      inv = fromBase(scheme.base).map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen > lowWavelen) return f / s.factor;
        if (wavelen < highWavelen) return f;
        const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        return ((1 - smooth) * f) / s.factor + smooth * f;
      });
      break;
    }
    case 'yarn': {
      // _compute_yarn_parameters: find_correction_range of beta_fast/beta_slow rotations over the
      // original length, linear_ramp_factor between, inv_freq = interp (1 - e) + extrap e, e = 1 - ramp
      const correctionDim = (rotations: number) => (r * Math.log(s.originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(scheme.base));
      let low = correctionDim(s.betaFast);
      let high = correctionDim(s.betaSlow);
      if (s.truncate) [low, high] = [Math.floor(low), Math.ceil(high)];
      [low, high] = [Math.max(low, 0), Math.min(high, r - 1)];
      if (low === high) high += 0.001; // "Prevent singularity"
      inv = fromBase(scheme.base).map((extrapolated, j) => {
        const ramp = Math.min(1, Math.max(0, (j - low) / (high - low)));
        const extrapolation = 1 - ramp;
        return (extrapolated / s.factor) * (1 - extrapolation) + extrapolated * extrapolation;
      });
      attentionFactor = s.attentionFactor;
      break;
    }
    case 'longrope': {
      // _compute_longrope_parameters + longrope_frequency_update: long factors once T > original
      const ext = seqLen > s.originalMaxPositions ? s.longFactor : s.shortFactor;
      inv = fromBase(scheme.base).map((f, j) => f / ext[j]);
      attentionFactor = s.attentionFactor;
      break;
    }
  }
  return { invFreq: Float32Array.from(inv), attentionFactor };
}

/** Whether a scheme's tables depend on the batch length beyond their size (dynamic, longrope). */
export function rotaryDependsOnLength(scheme: RotaryScheme): boolean {
  return scheme.scaling?.type === 'dynamic' || scheme.scaling?.type === 'longrope';
}

/**
 * cos/sin tables [T, r] of half-split rotary embeddings (RoFormer; transformers' rotate_half
 * convention): angle = position * inv_freq, duplicated as [f, f], times the scheme's attention factor
 * (yarn, longrope), in float32 at each step as transformers computes them.
 */
export function rotaryTables(seqLen: number, scheme: RotaryScheme): { cos: Float32Array; sin: Float32Array } {
  const rotaryDim = scheme.rotaryDim;
  const half = rotaryDim / 2;
  const { invFreq, attentionFactor } = rotaryInverseFrequencies(scheme, seqLen);
  const cos = new Float32Array(seqLen * rotaryDim);
  const sin = new Float32Array(seqLen * rotaryDim);
  for (let t = 0; t < seqLen; t++) {
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(t * invFreq[j]);
      const c = Math.cos(angle) * attentionFactor;
      const s = Math.sin(angle) * attentionFactor;
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
