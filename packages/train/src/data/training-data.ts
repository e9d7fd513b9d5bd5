import type { DataConfig } from '../training/config.js';
import { backcopyHeldOutSet, backcopyTrainingBatch, createBackcopyWorld, SeededRandom, type BackcopyBatch } from './backcopy-source.js';
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

/** The task's data source (the back-copy world, or a corpus's bytes with its held-out tail), capped at `data.uniqueTokens`. */
export function createTrainingData(data: DataConfig): TrainingData {
  const source = taskData(data);
  return data.uniqueTokens === null ? source : cappedData(source, data.uniqueTokens, data.sequenceLength);
}

// Seed-stream tag of the order in which a capped pool's rows are revisited.
const POOL_ORDER_STREAM = 0x9001;

/**
 * Data amount (Gu et al. 2025, sec. 6): the first ceil(uniqueTokens / (sequenceLength - 1)) rows the
 * unlimited stream would give (steps 0, 1, ... of `seed`), revisited pass after pass, each pass in
 * an order drawn from (seed, pass); row i of update s is the pool row at pass position s*B + i.
 * Still a function of (data config, seed, step) only, so resumed runs stay bit-identical.
 */
function cappedData(source: TrainingData, uniqueTokens: number, sequenceLength: number): TrainingData {
  const poolSize = Math.ceil(uniqueTokens / (sequenceLength - 1));
  let pool: { seed: number; rows: BackcopyBatch } | undefined;
  const poolOf = (seed: number, batchSize: number): BackcopyBatch => {
    if (pool?.seed !== seed) {
      const ids = new Int32Array(poolSize * sequenceLength);
      const isCopyTarget = new Uint8Array(poolSize * sequenceLength);
      for (let step = 0; step * batchSize < poolSize; step++) {
        const b = source.trainingBatch(seed, step, batchSize);
        const take = Math.min(batchSize, poolSize - step * batchSize);
        ids.set(b.ids.subarray(0, take * sequenceLength), step * batchSize * sequenceLength);
        isCopyTarget.set(b.isCopyTarget.subarray(0, take * sequenceLength), step * batchSize * sequenceLength);
      }
      pool = { seed, rows: { count: poolSize, length: sequenceLength, ids, isCopyTarget } };
    }
    return pool.rows;
  };
  const orders = new Map<string, number[]>();
  const orderOf = (seed: number, pass: number): number[] => {
    const key = `${seed}/${pass}`;
    let order = orders.get(key);
    if (!order) {
      if (orders.size > 4) orders.clear();
      order = new SeededRandom(POOL_ORDER_STREAM, seed, pass).permutation(poolSize);
      orders.set(key, order);
    }
    return order;
  };
  return {
    numOrdinary: source.numOrdinary,
    heldOutSet: () => source.heldOutSet(),
    trainingBatch(seed, step, batchSize) {
      const rows = poolOf(seed, batchSize);
      const ids = new Int32Array(batchSize * sequenceLength);
      const isCopyTarget = new Uint8Array(batchSize * sequenceLength);
      for (let i = 0; i < batchSize; i++) {
        const position = step * batchSize + i;
        const row = orderOf(seed, Math.floor(position / poolSize))[position % poolSize];
        ids.set(rows.ids.subarray(row * sequenceLength, (row + 1) * sequenceLength), i * sequenceLength);
        isCopyTarget.set(rows.isCopyTarget.subarray(row * sequenceLength, (row + 1) * sequenceLength), i * sequenceLength);
      }
      return { count: batchSize, length: sequenceLength, ids, isCopyTarget };
    },
  };
}

function taskData(data: DataConfig): TrainingData {
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
  const first = data.firstToken === 'bos' ? '' : data.firstToken === 'none' ? ', no BOS' : `, ${data.randomFirstTokens === 1 ? 'a uniformly random ordinary first token instead of BOS' : `${data.randomFirstTokens} uniformly random ordinary first tokens`}`;
  return `back-copy, task seed ${data.taskSeed}, offsets [${data.offsets.join(', ')}], ${data.triggersPerGroup} triggers per group, trigger prob ${data.triggerProb}${first}`;
}
