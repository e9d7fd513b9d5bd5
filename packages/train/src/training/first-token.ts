import { SeededRandom, type BackcopyBatch } from '../data/backcopy-source.js';

/**
 * What sits at position 0 (Gu et al. 2025, sec. 6): `bos` = the BOS token (the task's default);
 * `none` = no BOS, sequences start at x_1; `random` = a uniformly drawn ordinary token instead of BOS.
 */
export type FirstTokenPolicy = 'bos' | 'none' | 'random';

/**
 * Rebuild a batch under a first-token policy; `random` replaces positions 0..randomCount-1 with
 * ordinary tokens drawn from SeededRandom(seedWords) (randomCount 1: a random token instead of BOS).
 */
export function applyFirstTokenPolicy(batch: BackcopyBatch, policy: FirstTokenPolicy, numOrdinary: number, seedWords: number[], randomCount = 1): BackcopyBatch {
  if (policy === 'bos') return batch;
  if (policy === 'random') {
    const rng = new SeededRandom(...seedWords);
    const ids = batch.ids.slice();
    for (let s = 0; s < batch.count; s++) for (let p = 0; p < randomCount; p++) ids[s * batch.length + p] = rng.nextInt(numOrdinary);
    return { ...batch, ids };
  }
  const length = batch.length - 1;
  const ids = new Int32Array(batch.count * length);
  const isCopyTarget = new Uint8Array(batch.count * length);
  for (let s = 0; s < batch.count; s++) {
    ids.set(batch.ids.subarray(s * batch.length + 1, (s + 1) * batch.length), s * length);
    isCopyTarget.set(batch.isCopyTarget.subarray(s * batch.length + 1, (s + 1) * batch.length), s * length);
  }
  return { count: batch.count, length, ids, isCopyTarget };
}

/** The same `token` at `position` of every row (Gu et al. 2025, sec. 6: does a fixed token there become the sink?); not a copy target. */
export function applyFixedToken(batch: BackcopyBatch, fixed: { readonly position: number; readonly token: number } | null): BackcopyBatch {
  if (fixed === null) return batch;
  const ids = batch.ids.slice();
  const isCopyTarget = batch.isCopyTarget.slice();
  for (let s = 0; s < batch.count; s++) {
    ids[s * batch.length + fixed.position] = fixed.token;
    isCopyTarget[s * batch.length + fixed.position] = 0;
  }
  return { ...batch, ids, isCopyTarget };
}
