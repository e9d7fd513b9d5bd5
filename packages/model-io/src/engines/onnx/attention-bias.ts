/**
 * Additive attention biases fed to the graph. A large negative instead of -inf: exp underflows to
 * exactly 0 (as transformers' finfo.min does) and a row never becomes all -inf.
 */
export const MASKED = -1e9;

/** [T,T] causal bias: query t sees keys s <= t (and t - s < window when sliding). */
export function causalBias(seqLen: number, slidingWindow: number | undefined): Float32Array {
  const bias = new Float32Array(seqLen * seqLen);
  for (let t = 0; t < seqLen; t++) {
    for (let s = 0; s < seqLen; s++) {
      const visible = s <= t && (slidingWindow === undefined || t - s < slidingWindow);
      if (!visible) bias[t * seqLen + s] = MASKED;
    }
  }
  return bias;
}

/** [B,T] key bias hiding right padding: keys at or beyond a sequence's length are masked. */
export function paddingBias(batch: number, seqLen: number, lengths: readonly number[] | undefined): Float32Array {
  const bias = new Float32Array(batch * seqLen);
  if (lengths) lengths.forEach((len, b) => bias.fill(MASKED, b * seqLen + len, (b + 1) * seqLen));
  return bias;
}
