import { type Activations, requireInt, requireShape } from './validate.js';

/**
 * q.k = |q| |k| cos(q, k) for every causal (query t, key s <= t) pair of one (layer, head).
 * Arrays are packed lower-triangular, row by row: entry `causalIndex(t, s)`; `query` and `key` give
 * the positions of each entry (0-based). The attention logit is dot / sqrt(hd) (before any mask);
 * pass post-rotary q and k for the decomposition to match it.
 */
export interface QkDecomposition {
  seqLen: number;
  query: Int32Array;
  key: Int32Array;
  dot: Float64Array;
  /** cos(q_t, k_s); 0 where either vector is zero. */
  cos: Float64Array;
  /** |q_t| |k_s|. */
  normProduct: Float64Array;
  queryNorms: Float64Array; // [T]
  keyNorms: Float64Array; // [T]
}

/** Position of (query t, key s <= t) in the packed causal arrays. */
export function causalIndex(query: number, key: number): number {
  if (key > query) throw new RangeError(`key ${key} is after query ${query}: not a causal entry`);
  return (query * (query + 1)) / 2 + key;
}

/** q [T, hd] and k [T, hd] of one (layer, head) -> dot, cos and |q||k| per causal pair. */
export function qkDecomposition(q: Activations, k: Activations, seqLen: number, headDim: number): QkDecomposition {
  requireInt('seqLen', seqLen);
  requireInt('headDim', headDim);
  requireShape('q', q, { T: seqLen, hd: headDim });
  requireShape('k', k, { T: seqLen, hd: headDim });
  const T = seqLen;
  const n = (T * (T + 1)) / 2;
  const norms = (x: Activations) => {
    const out = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let c = t * headDim; c < (t + 1) * headDim; c++) s += x[c] * x[c];
      out[t] = Math.sqrt(s);
    }
    return out;
  };
  const queryNorms = norms(q);
  const keyNorms = norms(k);
  const result: QkDecomposition = {
    seqLen: T,
    query: new Int32Array(n),
    key: new Int32Array(n),
    dot: new Float64Array(n),
    cos: new Float64Array(n),
    normProduct: new Float64Array(n),
    queryNorms,
    keyNorms,
  };
  let i = 0;
  for (let t = 0; t < T; t++) {
    for (let s = 0; s <= t; s++, i++) {
      let dot = 0;
      for (let c = 0; c < headDim; c++) dot += q[t * headDim + c] * k[s * headDim + c];
      const normProduct = queryNorms[t] * keyNorms[s];
      result.query[i] = t;
      result.key[i] = s;
      result.dot[i] = dot;
      result.normProduct[i] = normProduct;
      result.cos[i] = normProduct > 0 ? dot / normProduct : 0;
    }
  }
  return result;
}
