import { type Activations, requireInt, requireShape } from './validate.js';

/**
 * How the values of an attention map are turned into the weights alpha averages.
 * - `none`: the map already holds softmax probabilities (causal rows sum to 1).
 * - `abs-sum`: the map holds scores of a non-softmax attention (e.g. sigmoid or linear attention);
 *   each causal row is replaced by |s_tk| / sum_{k<=t} |s_tk| first, the proxy of Gu et al. 2025,
 *   sec. 7.4, so that alpha and the eps thresholds keep their meaning.
 */
export type ScoreNormalization = 'none' | 'abs-sum';

export interface ImportanceOptions {
  /** Default `none`. */
  normalization?: ScoreNormalization;
  /**
   * With `none`, every causal row (keys 0..t of query t) must sum to 1 within this tolerance; this
   * catches a transposed map or a [T, H, T] layout before it yields plausible-looking numbers.
   * Default 1e-2, loose enough for bf16 runs; `Infinity` turns the check off (NaN still fails).
   */
  rowSumTolerance?: number;
}

/**
 * Causal column sums of one layer's map: colSums[h*T + k] = sum_{t=k..T-1} w[h, t] * A[h, t, k] and
 * rowScale[h*T + t] = w[h, t], where w is 1 for `none` and 1 / sum_{k<=t} |A[h, t, k]| for `abs-sum`.
 * Only entries on or below the diagonal are read. Writes only into the two scratch arrays, so a
 * failed check leaves the caller's state untouched.
 */
export function causalColumnSums(
  pattern: Activations,
  heads: number,
  seqLen: number,
  options: ImportanceOptions,
  colSums: Float64Array,
  rowScale: Float64Array,
): void {
  const normalization = options.normalization ?? 'none';
  const tolerance = options.rowSumTolerance ?? 1e-2;
  if (normalization !== 'none' && normalization !== 'abs-sum') {
    throw new RangeError(`normalization must be 'none' or 'abs-sum', got '${normalization as string}'`);
  }
  const T = seqLen;
  colSums.fill(0, 0, heads * T);
  for (let h = 0; h < heads; h++) {
    const base = h * T * T;
    const cb = h * T;
    for (let t = 0; t < T; t++) {
      const row = base + t * T;
      let rowSum = 0;
      if (normalization === 'none') {
        for (let k = 0; k <= t; k++) {
          const v = pattern[row + k];
          rowSum += v;
          colSums[cb + k] += v;
        }
        if (!(Math.abs(rowSum - 1) <= tolerance)) {
          throw new RangeError(
            `attention row (head ${h}, query ${t}) sums to ${rowSum} over keys 0..${t}, not 1 ` +
              `(tolerance ${tolerance}): expected softmax probabilities laid out [head][query][key]; ` +
              `use normalization 'abs-sum' for raw scores`,
          );
        }
        rowScale[cb + t] = 1;
      } else {
        for (let k = 0; k <= t; k++) rowSum += Math.abs(pattern[row + k]);
        if (!(rowSum > 0) || !Number.isFinite(rowSum)) {
          throw new RangeError(
            `attention row (head ${h}, query ${t}) has total |score| ${rowSum} over keys 0..${t}; ` +
              `abs-sum normalisation needs a positive finite total`,
          );
        }
        const w = 1 / rowSum;
        for (let k = 0; k <= t; k++) colSums[cb + k] += Math.abs(pattern[row + k]) * w;
        rowScale[cb + t] = w;
      }
    }
  }
}

/**
 * Importance score of every key position (Gu et al. 2025, sec. 3.2):
 * alpha_k = 1/(T-k+1) * sum_{t=k..T} A[t, k], 1-based. Here 0-based: key k0 averages the query
 * rows t0 = k0..T-1, i.e. alpha[k0] = colSum[k0] / (T - k0); alpha[0] is the first-token score.
 *
 * @param pattern one layer's map for one sequence, [heads, T, T] = [head][query][key], causal.
 * @returns Float64Array [heads * T]: alpha[h * T + k0].
 */
export function importanceScores(
  pattern: Activations,
  heads: number,
  seqLen: number,
  options: ImportanceOptions = {},
): Float64Array {
  requireInt('heads', heads);
  requireInt('seqLen', seqLen);
  requireShape('attention pattern', pattern, { heads, query: seqLen, key: seqLen });
  const colSums = new Float64Array(heads * seqLen);
  causalColumnSums(pattern, heads, seqLen, options, colSums, new Float64Array(heads * seqLen));
  for (let h = 0; h < heads; h++) {
    for (let k = 0; k < seqLen; k++) colSums[h * seqLen + k] /= seqLen - k;
  }
  return colSums;
}
