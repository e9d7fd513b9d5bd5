import { entropyBound, type EntropyBound } from './bound.js';
import { shannonEntropy } from './entropy.js';
import { type Preprocessing } from './preprocess.js';
import { eigenShares, type Spectrum } from './spectrum.js';
import type { Activations } from './validate.js';

/**
 * Theorem 1 of Queipo-de-Llano et al. 2025 and its corollary, measured and bounded, for one
 * sequence's X [T, d] (row 0 = the first token; raw unless preprocessing is asked for). With
 * M = |x_0|^2, R = sum_{i>0} |x_i|^2, alpha = (1/R) sum_{i>0} |x_i|^2 cos^2(x_i, x_0), c = M / R and
 * p = (c + alpha) / (c + 1):
 *
 *     sigma_1^2 >= M + alpha R                                  (Theorem 1: the Rayleigh quotient at x_0)
 *     p_1 = sigma_1^2 / |X|_F^2 >= p                             (the paper's anisotropy)
 *     sigma_1^2 / sum_{j>=2} sigma_j^2 >= (c + alpha) / (1 - alpha)
 *     H(X) <= -p ln p - (1-p) ln(1-p) + (1-p) ln(r-1)   for p >= 1/r   (corollary; r = rank X)
 */
export interface Theorem1Statistics {
  /** M = |x_0|^2. */
  bosSqNorm: number;
  /** R = sum_{i>0} |x_i|^2. */
  restSqNorm: number;
  /** alpha: norm-weighted mean of cos^2 between the other tokens and x_0, in [0, 1]. */
  alignment: number;
  /** c = M / R (Infinity when R = 0). */
  c: number;
  /** p_1 = sigma_1^2 / |X|_F^2: the share of the top singular direction (the paper's anisotropy). */
  p1: number;
  /** sigma_1^2 / sum_{j>=2} sigma_j^2, the sum over the numeric rank (Infinity for rank one). */
  dominance: number;
  /** sigma_1^2 = the largest eigenvalue of X X^T. */
  sigma1Sq: number;
  /** M + alpha R <= sigma1Sq. */
  sigma1SqLower: number;
  /** p = (c + alpha) / (c + 1) <= p1. */
  p1Lower: number;
  /** (c + alpha) / (1 - alpha) <= dominance (Infinity when alpha = 1). */
  dominanceLower: number;
  /** Shannon matrix entropy H = -sum p_i ln p_i of the eigenvalue shares (nats). */
  entropy: number;
  /** r: the numeric rank of X (shares above max(T, d) 2^-52 p_1). */
  rank: number;
  /** The corollary's upper bound on `entropy`; null when p < 1/r, where it does not apply. */
  entropyUpper: number | null;
  /** entropy / ln r; null when r < 2. */
  entropyRankNormalized: number | null;
  /** entropyUpper / ln r; null when r < 2 or entropyUpper is null. */
  entropyUpperRankNormalized: number | null;
}

/** f(p) = -p ln p - (1-p) ln(1-p) + (1-p) ln(r-1): the largest entropy of r shares whose top one is p. */
export function topShareEntropyCeiling(p: number, rank: number): number {
  const xlnx = (v: number) => (v > 0 ? v * Math.log(v) : 0);
  return -xlnx(p) - xlnx(1 - p) + (rank > 1 ? (1 - p) * Math.log(rank - 1) : 0);
}

/**
 * Theorem 1's quantities from a spectrum and the norms / alignment already computed by
 * `entropyBound` on the same (preprocessed) X: no second pass over X.
 */
export function theorem1FromParts(spectrum: Spectrum, bound: Pick<EntropyBound, 'c' | 'alpha' | 'bosSqNorm' | 'restSqNorm'>): Theorem1Statistics {
  const shares = spectrum.shares;
  const p1 = shares[0];
  // sum_{j>=2} sigma_j^2 over the numeric rank: shares below it are round-off of exact zeros
  let rest = 0;
  for (let i = 1; i < spectrum.numericRank; i++) rest += shares[i];
  const M = bound.bosSqNorm;
  const R = bound.restSqNorm;
  const alpha = bound.alpha;
  const c = bound.c;
  const p = c === Infinity ? 1 : (c + alpha) / (c + 1);
  const r = spectrum.numericRank;
  const entropy = shannonEntropy(shares);
  const entropyUpper = r >= 1 && p >= 1 / r ? topShareEntropyCeiling(p, r) : null;
  const lnR = r >= 2 ? Math.log(r) : null;
  return {
    bosSqNorm: M,
    restSqNorm: R,
    alignment: alpha,
    c,
    p1,
    dominance: rest > 0 ? p1 / rest : Infinity,
    sigma1Sq: p1 * spectrum.trace,
    sigma1SqLower: M + alpha * R,
    p1Lower: p,
    dominanceLower: alpha < 1 ? (c + alpha) / (1 - alpha) : Infinity,
    entropy,
    rank: r,
    entropyUpper,
    entropyRankNormalized: lnR === null ? null : entropy / lnR,
    entropyUpperRankNormalized: lnR === null || entropyUpper === null ? null : entropyUpper / lnR,
  };
}

/** Theorem 1 and its corollary for one sequence's X [T, d] (see `Theorem1Statistics`). */
export function theorem1(x: Activations, seqLen: number, dim: number, options: Preprocessing = {}): Theorem1Statistics {
  const spectrum = eigenShares(x, seqLen, dim, options);
  const b = entropyBound(x, seqLen, dim, options);
  return theorem1FromParts(spectrum, b);
}
