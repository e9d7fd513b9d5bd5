import { SeededRandom, type BackcopyBatch } from '../data/backcopy-source.js';

/**
 * What sits at position 0 (Gu et al. 2025, sec. 6): `bos` = the BOS token (the task's default);
 * `none` = no BOS, sequences start at x_1; `random` = a uniformly drawn ordinary token instead of BOS.
 */
export type FirstTokenPolicy = 'bos' | 'none' | 'random';

/** Rebuild a batch under a first-token policy; `random` draws from SeededRandom(seedWords). */
export function applyFirstTokenPolicy(batch: BackcopyBatch, policy: FirstTokenPolicy, numOrdinary: number, seedWords: number[]): BackcopyBatch {
  if (policy === 'bos') return batch;
  if (policy === 'random') {
    const rng = new SeededRandom(...seedWords);
    const ids = batch.ids.slice();
    for (let s = 0; s < batch.count; s++) ids[s * batch.length] = rng.nextInt(numOrdinary);
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
