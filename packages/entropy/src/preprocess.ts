import type { Activations } from './validate.js';

/**
 * Optional processing of X before its spectrum is taken. Both default to false: raw hidden states,
 * as Queipo-de-Llano et al. 2025 measure them. Layer by Layer (Skean et al. 2025) centres and
 * L2-normalises; set both to reproduce that convention. The choice is returned with every result.
 */
export interface Preprocessing {
  /** Subtract the mean token (column means over the T rows) first. */
  center?: boolean;
  /** Then scale every token to unit L2 norm (zero tokens stay zero). */
  normalize?: boolean;
}

export interface ResolvedPreprocessing {
  center: boolean;
  normalize: boolean;
}

export function resolvePreprocessing(options: Preprocessing = {}): ResolvedPreprocessing {
  return { center: options.center ?? false, normalize: options.normalize ?? false };
}

/** X itself when raw (no copy), else a processed float64 copy. Centring comes before normalising. */
export function preprocess(x: Activations, seqLen: number, dim: number, p: ResolvedPreprocessing): Activations {
  if (!p.center && !p.normalize) return x;
  const out = Float64Array.from(x);
  if (p.center) {
    const mean = new Float64Array(dim);
    for (let t = 0; t < seqLen; t++) for (let c = 0; c < dim; c++) mean[c] += out[t * dim + c];
    for (let c = 0; c < dim; c++) mean[c] /= seqLen;
    for (let t = 0; t < seqLen; t++) for (let c = 0; c < dim; c++) out[t * dim + c] -= mean[c];
  }
  if (p.normalize) {
    for (let t = 0; t < seqLen; t++) {
      let s = 0;
      for (let c = t * dim; c < (t + 1) * dim; c++) s += out[c] * out[c];
      if (s === 0) continue;
      const inv = 1 / Math.sqrt(s);
      for (let c = t * dim; c < (t + 1) * dim; c++) out[c] *= inv;
    }
  }
  return out;
}
