import { attentionMask } from '../../forward/attention-mask.js';
import type { AttentionScores } from '../../forward/ops.js';

/**
 * Additive attention biases fed to the graph. A large negative instead of -inf: exp underflows to
 * exactly 0 (as transformers' finfo.min does) and a row never becomes all -inf.
 */
export const MASKED = -1e9;

/** [T,T] causal bias: query t sees keys s <= t (and t - s < window when sliding; see `keyVisible` for prefix-LM and sink rows). */
export function causalBias(seqLen: number, slidingWindow: number | undefined, mask: Pick<AttentionScores, 'prefixLength' | 'sinkRows'> = {}): Float32Array {
  return attentionMask(seqLen, { ...mask, ...(slidingWindow === undefined ? {} : { slidingWindow }) }, 0, MASKED);
}

/** [B,T] key bias hiding right padding: keys at or beyond a sequence's length (+ its `sinkRows` leading rows) are masked. */
export function paddingBias(batch: number, seqLen: number, lengths: readonly number[] | undefined, sinkRows = 0): Float32Array {
  const bias = new Float32Array(batch * seqLen);
  if (lengths) lengths.forEach((len, b) => bias.fill(MASKED, b * seqLen + sinkRows + len, (b + 1) * seqLen));
  return bias;
}
