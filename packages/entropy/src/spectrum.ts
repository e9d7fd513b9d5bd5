import { symmetricEigenvaluesOnly } from './eigenvalues.js';
import { covarianceMatrix, gramMatrix } from './gram.js';
import { preprocess, type Preprocessing, resolvePreprocessing, type ResolvedPreprocessing } from './preprocess.js';
import { type Activations, requireMatrix } from './validate.js';

/**
 * Which matrix is decomposed: `gram` K = X X^T (T x T) or `covariance` X^T X (d x d). Both have the
 * same non-zero eigenvalues; `auto` (default) picks the smaller, min(T, d) square.
 */
export type SpectrumMethod = 'auto' | 'gram' | 'covariance';

export interface SpectrumOptions extends Preprocessing {
  method?: SpectrumMethod;
}

export interface Spectrum {
  /** Eigenvalues of K / trace(K), largest first (length min(T, d) unless a method was forced). */
  shares: Float64Array;
  /** trace(K) = squared Frobenius norm of the (processed) X. */
  trace: number;
  method: 'gram' | 'covariance';
  preprocessing: ResolvedPreprocessing;
  /** Shares above max(T, d) * 2^-52 * the largest share: the rank the float64 Gram can resolve. */
  numericRank: number;
}

/**
 * Eigenvalues of a dense symmetric matrix [n * n], largest first: Householder tridiagonalisation +
 * implicit QL without eigenvectors (eigenvalues.ts), about 10x faster at n = 64 than a full
 * decomposition that also builds the vectors the entropy never uses.
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  return symmetricEigenvaluesOnly(a, n);
}

/** The normalised spectrum of one sequence's X [T, d] (float64 throughout). */
export function eigenShares(x: Activations, seqLen: number, dim: number, options: SpectrumOptions = {}): Spectrum {
  requireMatrix('eigenShares', x, seqLen, dim);
  const preprocessing = resolvePreprocessing(options);
  const requested = options.method ?? 'auto';
  if (requested !== 'auto' && requested !== 'gram' && requested !== 'covariance') {
    throw new RangeError(`method must be 'auto', 'gram' or 'covariance', got '${requested as string}'`);
  }
  const method = requested === 'auto' ? (seqLen <= dim ? 'gram' : 'covariance') : requested;
  const processed = preprocess(x, seqLen, dim, preprocessing);
  const n = method === 'gram' ? seqLen : dim;
  const k = method === 'gram' ? gramMatrix(processed, seqLen, dim) : covarianceMatrix(processed, seqLen, dim);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += k[i * n + i];
  if (!Number.isFinite(trace)) throw new RangeError(`eigenShares: X [T=${seqLen}, d=${dim}] contains NaN or Infinity`);
  if (trace === 0) throw new RangeError(`eigenShares: X [T=${seqLen}, d=${dim}] is all zeros; its entropy is undefined`);
  const shares = symmetricEigenvalues(k, n);
  for (let i = 0; i < n; i++) shares[i] /= trace;
  const tolerance = Math.max(seqLen, dim) * Number.EPSILON * shares[0];
  let numericRank = 0;
  for (let i = 0; i < n; i++) if (shares[i] > tolerance) numericRank++;
  return { shares, trace, method, preprocessing, numericRank };
}
