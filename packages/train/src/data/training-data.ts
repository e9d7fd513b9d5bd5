import type { DataConfig } from '../training/config.js';
import { backcopyHeldOutSet, backcopyTrainingBatch, createBackcopyWorld, type BackcopyBatch } from './backcopy-source.js';
import { BYTE_VOCAB_SIZE, corpusBytes, splitTextBytes, textHeldOutSet, textTrainingBatch } from './text-source.js';

/** What the trainer draws rows from; one implementation per `data.task`. */
export interface TrainingData {
  /** Ordinary ids are 0..numOrdinary-1; BOS is numOrdinary. */
  readonly numOrdinary: number;
  /** Rows of update `step` (BOS first), a function of (task, seed, step) only. */
  trainingBatch(seed: number, step: number, batchSize: number): BackcopyBatch;
  /** The fixed held-out rows (BOS first). */
  heldOutSet(): BackcopyBatch;
}

/** The task's data source: the back-copy world, or a corpus's bytes with its held-out tail. */
export function createTrainingData(data: DataConfig): TrainingData {
  const { sequenceLength, heldOutSequences } = data;
  if (data.task === 'text') {
    const text = splitTextBytes(data.corpus, corpusBytes(data.corpus), data.heldOutShare);
    return {
      numOrdinary: BYTE_VOCAB_SIZE,
      trainingBatch: (seed, step, batchSize) => textTrainingBatch(text, seed, step, batchSize, sequenceLength),
      heldOutSet: () => textHeldOutSet(text, heldOutSequences, sequenceLength),
    };
  }
  const world = createBackcopyWorld({ ...data });
  return {
    numOrdinary: data.numOrdinary,
    trainingBatch: (seed, step, batchSize) => backcopyTrainingBatch(world, seed, step, batchSize, sequenceLength),
    heldOutSet: () => backcopyHeldOutSet(world, heldOutSequences, sequenceLength),
  };
}

/** One line describing the data, for the model card. */
export function dataSummary(data: DataConfig): string {
  if (data.task === 'text') {
    return `text: ${data.corpus} as UTF-8 bytes (256 byte ids + BOS), documents joined with "\\n\\n", last ${100 * data.heldOutShare} % held out, first token ${data.firstToken}`;
  }
  return `back-copy, task seed ${data.taskSeed}, offsets [${data.offsets.join(', ')}], ${data.triggersPerGroup} triggers per group, trigger prob ${data.triggerProb}`;
}
