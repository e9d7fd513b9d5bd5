import { type Activations, requireMatrix } from './validate.js';

export interface MeanCosine {
  /** Mean cos(x_i, x_j) over ordered pairs i != j of the non-zero tokens; null with fewer than 2. */
  includingBos: number | null;
  /** The same with row 0 (BOS) left out; null when fewer than 2 non-zero tokens remain. */
  excludingBos: number | null;
  /**
   * Tokens left out because they are exactly zero (no direction), e.g. Gemma's padding-id
   * embedding row; 0 in the usual case.
   */
  zeroTokens: number;
}

/**
 * The mean pairwise cosine similarity of tokens (Ethayarajh 2019 calls it anisotropy; here
 * "anisotropy" is Queipo-de-Llano et al.'s p_1, see theorem1.ts). With unit vectors u_i and
 * S = sum u_i, sum_{i != j} u_i . u_j = |S|^2 - n, so the cost is O(T d), not O(T^2 d).
 */
export function meanCosine(x: Activations, seqLen: number, dim: number): MeanCosine {
  requireMatrix('meanCosine', x, seqLen, dim, 2);
  // Unit tokens 1..T-1 summed into sumRest; BOS (row 0) is added afterwards for sumAll.
  const sumRest = new Float64Array(dim);
  const bos = new Float64Array(dim);
  let nRest = 0;
  let bosNonZero = false;
  for (let t = 0; t < seqLen; t++) {
    const row = t * dim;
    let s = 0;
    for (let c = 0; c < dim; c++) s += x[row + c] * x[row + c];
    if (!Number.isFinite(s)) throw new RangeError(`meanCosine: token ${t} contains NaN or Infinity`);
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    if (t === 0) {
      bosNonZero = true;
      for (let c = 0; c < dim; c++) bos[c] = x[c] * inv;
    } else {
      nRest++;
      for (let c = 0; c < dim; c++) sumRest[c] += x[row + c] * inv;
    }
  }
  const nAll = nRest + (bosNonZero ? 1 : 0);
  const sumAll = sumRest.map((v, c) => v + bos[c]);
  const meanPairCos = (sum: Float64Array, n: number) => {
    if (n < 2) return null;
    let s2 = 0;
    for (let c = 0; c < dim; c++) s2 += sum[c] * sum[c];
    return (s2 - n) / (n * (n - 1));
  };
  return { includingBos: meanPairCos(sumAll, nAll), excludingBos: meanPairCos(sumRest, nRest), zeroTokens: seqLen - nAll };
}
