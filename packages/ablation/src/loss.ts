import type { HostArray } from '@sinkscope/model-io';

/**
 * Next-token cross-entropy of sequence b of a batch's logits [B, Tmax, V]: position t predicts
 * ids[t + 1] for t = 0..T-2; the last position has no target and is ignored. Computed in float64
 * with a max-shifted log-sum-exp. Returns the sum (nats) and the count T - 1.
 */
export function nextTokenLoss(logits: HostArray, b: number, ids: readonly number[]): { nllSum: number; predicted: number } {
  const [, tMax, V] = logits.shape;
  const T = ids.length;
  if (T > tMax) throw new Error(`nextTokenLoss: sequence of ${T} tokens but logits hold ${tMax} positions`);
  let nllSum = 0;
  for (let t = 0; t < T - 1; t++) {
    const row = logits.data.subarray((b * tMax + t) * V, (b * tMax + t + 1) * V);
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (row[v] > max) max = row[v];
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(row[v] - max);
    const target = ids[t + 1];
    if (!(target >= 0 && target < V)) throw new Error(`nextTokenLoss: token id ${target} at position ${t + 1} is outside the vocabulary [0, ${V})`);
    nllSum += max + Math.log(sum) - row[target];
  }
  return { nllSum, predicted: T - 1 };
}
