import { FIRST_TOKEN_STREAM, heldOutFirstTokenSeedWords, type BackcopyBatch } from '../data/backcopy-source.js';
import type { TrainingData } from '../data/training-data.js';
import type { TrainConfig } from './config.js';
import { applyFirstTokenPolicy, applyFixedToken } from './first-token.js';

/** Rows under the run's row policies: the first-token policy, then a fixed token. */
function applyRowPolicies(config: TrainConfig, source: TrainingData, batch: BackcopyBatch, seedWords: number[]): BackcopyBatch {
  const { data } = config;
  return applyFixedToken(applyFirstTokenPolicy(batch, data.firstToken, source.numOrdinary, seedWords, data.randomFirstTokens), data.fixedToken);
}

/** The fixed held-out rows under the run's row policies. */
export function heldOutRows(config: TrainConfig, source: TrainingData): BackcopyBatch {
  return applyRowPolicies(config, source, source.heldOutSet(), heldOutFirstTokenSeedWords());
}

/** Model inputs and next-token targets [batchSize, seqLen] of update `step`: a function of (data config, seed, step) only. */
export function trainingRows(config: TrainConfig, source: TrainingData, step: number): { inputs: Int32Array; targets: Int32Array; seqLen: number } {
  const { batchSize, seed } = config;
  const raw = source.trainingBatch(seed, step, batchSize);
  const batch = applyRowPolicies(config, source, raw, [FIRST_TOKEN_STREAM, seed, step]);
  const T = batch.length - 1;
  const inputs = new Int32Array(batchSize * T);
  const targets = new Int32Array(batchSize * T);
  for (let s = 0; s < batchSize; s++) {
    inputs.set(batch.ids.subarray(s * batch.length, s * batch.length + T), s * T);
    targets.set(batch.ids.subarray(s * batch.length + 1, (s + 1) * batch.length), s * T);
  }
  return { inputs, targets, seqLen: T };
}
