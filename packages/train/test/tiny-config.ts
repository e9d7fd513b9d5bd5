import { normaliseTrainConfig, type TrainConfig, type TrainConfigInput } from '../src/training/config.js';

/** A model and task small enough for unit tests (a few ms per step). */
export function tinyTrainConfig(overrides: TrainConfigInput = {}): TrainConfig {
  return normaliseTrainConfig({
    model: { nEmbd: 32, nLayer: 2, nHead: 2 },
    data: { sequenceLength: 17, heldOutSequences: 8 },
    batchSize: 8,
    steps: 30,
    schedule: { peakLr: 3e-3, warmupSteps: 5 },
    evalEvery: 10,
    checkpointEvery: 10,
    logEvery: 10,
    ...overrides,
  });
}
