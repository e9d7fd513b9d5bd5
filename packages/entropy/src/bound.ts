import { preprocess, type Preprocessing, resolvePreprocessing, type ResolvedPreprocessing } from './preprocess.js';
import { type Activations, requireMatrix } from './validate.js';

export interface EntropyBoundOptions extends Preprocessing {
  /**
   * Rank r of X (number of non-zero eigenvalues), e.g. `numericRank` from `matrixEntropy`. Default
   * min(T, d), always >= the true rank; the bound grows with r, so it stays valid either way.
   */
  rank?: number;
}

export interface EntropyBound {
  /** Upper bound on the Shannon matrix entropy (nats). */
  bound: number;
  /** The same bound with alpha = 0 (BOS orthogonal to every other token): depends on c alone. */
  boundAlpha0: number;
  /** c = M / R: ||x_BOS||^2 over the sum of the other tokens' squared norms. */
  c: number;
  /** M = ||x_BOS||^2. */
  bosSqNorm: number;
  /** R = sum_{t>0} ||x_t||^2. */
  restSqNorm: number;
  /**
   * Alignment of the other tokens with BOS: sum_t ||x_t||^2 cos^2(x_t, x_BOS) / R, the norm-weighted
   * mean of cos^2 for which the bound is a theorem; it equals the plain mean when the other tokens
   * have equal norms.
   */
  alpha: number;
  /** Plain mean of cos^2(x_t, x_BOS) over the other non-zero tokens (for reference; not used). */
  alphaUnweighted: number;
  /** p = (c + alpha) / (c + 1) <= the largest eigenvalue share. */
  topShareLowerBound: number;
  /** c / (c + 1). */
  topShareLowerBoundAlpha0: number;
  rank: number;
  rankSource: 'min(T,d)' | 'given';
  /** T: c stays O(1) only if the BOS norm grows like sqrt(T) relative to the others. */
  seqLen: number;
  /** ||x_BOS|| / RMS norm of the other tokens = sqrt(c (T - 1)). */
  bosNormRatio: number;
  preprocessing: ResolvedPreprocessing;
}

/**
 * Largest entropy of a spectrum on r eigenvalues whose top share is at least p: with the top share
 * s and the rest spread evenly, f(s) = -s ln s - (1-s) ln(1-s) + (1-s) ln(r-1), which decreases for
 * s >= 1/r; the top share is always >= 1/r, so the bound is f(max(p, 1/r)).
 */
export function entropyUpperBound(topShareLowerBound: number, rank: number): number {
  if (rank <= 1) return 0;
  const s = Math.max(topShareLowerBound, 1 / rank);
  const xlnx = (v: number) => (v > 0 ? v * Math.log(v) : 0);
  return -xlnx(s) - xlnx(1 - s) + (1 - s) * Math.log(rank - 1);
}

/**
 * The massive-activation entropy bound of Queipo-de-Llano et al. 2025 (sec. 3, Theorem 1) for one
 * sequence's X [T, d] with BOS in row 0: M = ||x_0||^2, R = sum_{t>0} ||x_t||^2, c = M / R; the top
 * eigenvalue share of X X^T is >= p = (c + alpha) / (c + 1), hence
 * H <= -p ln p - (1-p) ln(1-p) + (1-p) ln(r-1).
 */
export function entropyBound(x: Activations, seqLen: number, dim: number, options: EntropyBoundOptions = {}): EntropyBound {
  requireMatrix('entropyBound', x, seqLen, dim, 2);
  const rankSource = options.rank === undefined ? 'min(T,d)' : 'given';
  const rank = options.rank ?? Math.min(seqLen, dim);
  if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(seqLen, dim)) {
    throw new RangeError(`entropyBound: rank must be an integer in 1..min(T, d) = ${Math.min(seqLen, dim)}, got ${rank}`);
  }
  const preprocessing = resolvePreprocessing(options);
  const X = preprocess(x, seqLen, dim, preprocessing);
  let M = 0;
  for (let c = 0; c < dim; c++) M += X[c] * X[c];
  let R = 0;
  let weightedCos2 = 0; // sum_t (x_t . x_0)^2 / M = sum_t ||x_t||^2 cos^2
  let cos2Sum = 0;
  let nonZero = 0;
  for (let t = 1; t < seqLen; t++) {
    let norm2 = 0;
    let dot = 0;
    for (let c = 0; c < dim; c++) {
      const v = X[t * dim + c];
      norm2 += v * v;
      dot += v * X[c];
    }
    R += norm2;
    if (M > 0 && norm2 > 0) {
      weightedCos2 += (dot * dot) / M;
      cos2Sum += (dot * dot) / (M * norm2);
      nonZero++;
    }
  }
  if (!Number.isFinite(M) || !Number.isFinite(R)) {
    throw new RangeError(`entropyBound: X [T=${seqLen}, d=${dim}] contains NaN or Infinity`);
  }
  if (M === 0 && R === 0) throw new RangeError(`entropyBound: X [T=${seqLen}, d=${dim}] is all zeros`);
  const c = R > 0 ? M / R : Infinity;
  const alpha = R > 0 ? Math.min(1, weightedCos2 / R) : 1;
  const p = c === Infinity ? 1 : (c + alpha) / (c + 1);
  const p0 = c === Infinity ? 1 : c / (c + 1);
  return {
    bound: entropyUpperBound(p, rank),
    boundAlpha0: entropyUpperBound(p0, rank),
    c,
    bosSqNorm: M,
    restSqNorm: R,
    alpha,
    alphaUnweighted: nonZero > 0 ? cos2Sum / nonZero : 0,
    topShareLowerBound: p,
    topShareLowerBoundAlpha0: p0,
    rank,
    rankSource,
    seqLen,
    bosNormRatio: R > 0 ? Math.sqrt(M / (R / (seqLen - 1))) : Infinity,
    preprocessing,
  };
}
