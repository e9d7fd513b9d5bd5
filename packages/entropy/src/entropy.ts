import type { ResolvedPreprocessing } from './preprocess.js';
import { eigenShares, type Spectrum, type SpectrumOptions } from './spectrum.js';
import { type Activations, requireMatrix } from './validate.js';

/** Shannon entropy -sum p ln p over p > 0; shares <= 0 are numerical zeros of a PSD spectrum. */
export function shannonEntropy(shares: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < shares.length; i++) {
    const p = shares[i];
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/**
 * Renyi entropy of order alpha: (1/(1-alpha)) ln sum p^alpha over p > 0. alpha = 1 is the Shannon
 * limit, alpha = Infinity the min-entropy -ln max p; alpha = 2 is -ln sum p^2.
 */
export function renyiEntropy(shares: ArrayLike<number>, alpha: number): number {
  if (!(alpha > 0)) throw new RangeError(`Renyi order alpha must be > 0, got ${alpha}`);
  if (alpha === 1) return shannonEntropy(shares);
  let s = 0;
  let max = 0;
  for (let i = 0; i < shares.length; i++) {
    const p = shares[i];
    if (p > 0) {
      s += alpha === 2 ? p * p : Math.pow(p, alpha);
      if (p > max) max = p;
    }
  }
  if (alpha === Infinity) return -Math.log(max);
  return Math.log(s) / (1 - alpha);
}

export interface MatrixEntropyOptions extends SpectrumOptions {
  /** Renyi orders reported in `renyi` (2 is always included). Default [2]. */
  renyiAlphas?: number[];
}

export interface MatrixEntropy {
  seqLen: number;
  dim: number;
  /** -sum p ln p (nats). */
  shannon: number;
  /** shannon / ln T, in [0, 1]. */
  shannonNormalized: number;
  /** Renyi entropy per order, keyed by String(alpha) ("2", "0.5", "Infinity"). */
  renyi: Record<string, number>;
  /** -ln sum p^2. */
  renyi2: number;
  /** renyi2 / ln T. */
  renyi2Normalized: number;
  /** Eigenvalue shares p, largest first. */
  eigenvalues: Float64Array;
  numericRank: number;
  method: 'gram' | 'covariance';
  /** The preprocessing used (raw by default). */
  options: ResolvedPreprocessing;
}

/**
 * Matrix-based entropy of one sequence's representations X [T, d] (Queipo-de-Llano et al. 2025,
 * sec. 2; Skean et al. 2025): p = eigenvalues of K = X X^T / trace(K), H = -sum p ln p. Needs T >= 2
 * so that the ln T normalisation is defined.
 */
export function matrixEntropy(x: Activations, seqLen: number, dim: number, options: MatrixEntropyOptions = {}): MatrixEntropy {
  requireMatrix('matrixEntropy', x, seqLen, dim, 2);
  const alphas = renyiOrders(options.renyiAlphas);
  return entropyOfSpectrum(eigenShares(x, seqLen, dim, options), seqLen, dim, alphas);
}

/** Renyi orders to report: 2 always, then the requested ones (each > 0). */
export function renyiOrders(requested: readonly number[] = []): number[] {
  const alphas = [...new Set([2, ...requested])];
  alphas.forEach((a) => {
    if (!(a > 0)) throw new RangeError(`renyiAlphas: order must be > 0, got ${a}`);
  });
  return alphas;
}

/** `matrixEntropy` of a spectrum already computed (so one decomposition serves several statistics). */
export function entropyOfSpectrum(spectrum: Spectrum, seqLen: number, dim: number, alphas: readonly number[]): MatrixEntropy {
  const p = spectrum.shares;
  const lnT = Math.log(seqLen);
  const shannon = shannonEntropy(p);
  const renyi: Record<string, number> = {};
  for (const a of alphas) renyi[String(a)] = renyiEntropy(p, a);
  return {
    seqLen,
    dim,
    shannon,
    shannonNormalized: shannon / lnT,
    renyi,
    renyi2: renyi['2'],
    renyi2Normalized: renyi['2'] / lnT,
    eigenvalues: p,
    numericRank: spectrum.numericRank,
    method: spectrum.method,
    options: spectrum.preprocessing,
  };
}
