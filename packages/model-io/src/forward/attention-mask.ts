import type { AttentionScores } from './ops.js';

/**
 * Whether query row t sees key row s, for rows that include the `sinkRows` leading rows (a learnable
 * sink token): causal (s <= t) within the sliding window; under a prefix-LM mask, the first
 * `prefixLength` real tokens also see each other; the sink rows are seen by every query and see
 * only what causality allows.
 */
export function keyVisible(t: number, s: number, scores: Pick<AttentionScores, 'slidingWindow' | 'prefixLength' | 'sinkRows'>): boolean {
  const sink = scores.sinkRows ?? 0;
  if (s < sink) return true;
  if (s <= t && (scores.slidingWindow === undefined || t - s < scores.slidingWindow)) return true;
  const prefixEnd = sink + (scores.prefixLength ?? 0);
  return t >= sink && t < prefixEnd && s < prefixEnd;
}

/** The mask of `rows` x `rows` scores: `visible` where query t sees key s, `hidden` elsewhere (additive 0 / -1e9, or multiplicative 1 / 0). */
export function attentionMask(rows: number, scores: Pick<AttentionScores, 'slidingWindow' | 'prefixLength' | 'sinkRows'>, visible: number, hidden: number): Float32Array {
  const mask = new Float32Array(rows * rows);
  for (let t = 0; t < rows; t++) for (let s = 0; s < rows; s++) mask[t * rows + s] = keyVisible(t, s, scores) ? visible : hidden;
  return mask;
}
