/**
 * Multi-offset back-copy: a synthetic language whose optimal predictor needs attention heads that
 * are active only right after rare trigger tokens and idle everywhere else, the "active-dormant"
 * regime in which attention sinks emerge (Gu et al., ICLR 2025, sec. 3). In a PyTorch reference run of
 * the previous default recipe (2 x 128 GPT-2, 2000 steps) this task gave a layer-0 sink on 3 of 3 seeds and 3 of
 * 3 task worlds, where natural text, single-offset back-copy and induction copying gave none at that
 * scale.
 *
 * Rules (ids 0..numOrdinary-1 are ordinary tokens, BOS = numOrdinary):
 * - A "world" is drawn once from a task seed: the ids are shuffled, the first groups x perGroup of
 *   the permutation become triggers (group g = consecutive slice g, copy offset offsets[g]); the
 *   rest are non-triggers. Every token (triggers too) gets `successorsPerToken` distinct successors
 *   drawn without replacement from the non-triggers, with Dirichlet(1) weights.
 * - A sequence is x_0 = BOS, x_1 uniform over non-triggers, and for t = 1..length-2:
 *   if x_t is a trigger of group g and t - o_g >= 1, x_{t+1} = x_{t-o_g} (a copy target);
 *   otherwise x_{t+1} is drawn from x_t's bigram row and, when x_t is not a trigger, that draw is
 *   replaced with probability `triggerProb` by a uniformly drawn trigger.
 * - Shares (measured, task seeds 0-3): about 12.5 % of positions copy after an inserted trigger
 *   (the recipe's "about 13 %"); a copied token that is itself a trigger copies again, so 16-18 % of
 *   positions are copy targets in all.
 *
 * Every random draw comes from `SeededRandom` (xoshiro128**, integer arithmetic only), so a world,
 * a batch and the held-out set are bit-identical on every machine and JS engine.
 */

import { SeededRandom } from '../random.js';

/** Shape of the task; the defaults are the recipe's. */
export interface BackcopyWorldOptions {
  /** Seed of the world (trigger groups, bigram table). The training seed does not change it. */
  readonly taskSeed: number;
  /** Number of ordinary token ids (default 64); BOS gets id `numOrdinary`. */
  readonly numOrdinary?: number;
  /** Copy offset of each trigger group (default [1, 2, 3, 4]; the group count is its length). */
  readonly offsets?: readonly number[];
  /** Triggers per group (default 3). */
  readonly triggersPerGroup?: number;
  /** Successors per token in the bigram table (default 4). */
  readonly successorsPerToken?: number;
  /** Probability that a non-trigger's bigram draw is replaced by a uniform trigger (default 0.15). */
  readonly triggerProb?: number;
}

/** One drawn world. Arrays are indexed by token id (0..numOrdinary-1). */
export interface BackcopyWorld {
  readonly taskSeed: number;
  readonly numOrdinary: number;
  /** The BOS id (= numOrdinary); vocab size is numOrdinary + 1. */
  readonly bosId: number;
  readonly vocabSize: number;
  readonly offsets: readonly number[];
  /** triggerGroups[g] = the trigger ids of group g. */
  readonly triggerGroups: readonly (readonly number[])[];
  /** All triggers, group by group. */
  readonly triggers: readonly number[];
  /** The non-trigger ids, ascending. */
  readonly nonTriggers: readonly number[];
  /** groupOf[id] = trigger group of id, or -1 for a non-trigger. */
  readonly groupOf: Int32Array;
  /** successors[id] = the successor ids of id (distinct non-triggers). */
  readonly successors: readonly Int32Array[];
  /** successorWeights[id][j] = probability of successors[id][j] (sums to 1). */
  readonly successorWeights: readonly Float64Array[];
  readonly triggerProb: number;
}

/** `count` sequences of `length` tokens, row-major. */
export interface BackcopyBatch {
  readonly count: number;
  readonly length: number;
  /** [count * length] token ids. */
  readonly ids: Int32Array;
  /** [count * length] 1 where the token was produced by the copy rule. */
  readonly isCopyTarget: Uint8Array;
}

/** Seed of the fixed held-out evaluation set; separate from any training seed's stream. */
export const BACKCOPY_HELD_OUT_SEED = 0x5eed_0e7a;
/** The recipe's sequence length: BOS + 64 tokens, so a model reads T = 64 and predicts 64. */
export const BACKCOPY_SEQUENCE_LENGTH = 65;

// Stream tags keep the world, training batches and the held-out set on disjoint random streams.
const STREAM_WORLD = 1;
const STREAM_BATCH = 2;
const STREAM_HELD_OUT = 3;

function checkSeed(name: string, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`backcopy: ${name} = ${seed} must be an integer in [0, 2^32)`);
}

/** Draw the world (trigger groups and bigram table) of a task seed. */
export function createBackcopyWorld(options: BackcopyWorldOptions): BackcopyWorld {
  const numOrdinary = options.numOrdinary ?? 64;
  const offsets = [...(options.offsets ?? [1, 2, 3, 4])];
  const perGroup = options.triggersPerGroup ?? 3;
  const successorsPerToken = options.successorsPerToken ?? 4;
  const triggerProb = options.triggerProb ?? 0.15;
  checkSeed('taskSeed', options.taskSeed);
  if (offsets.length === 0 || offsets.some((o) => !Number.isInteger(o) || o < 1)) throw new Error(`backcopy: offsets [${offsets}] must be integers >= 1`);
  if (!Number.isInteger(perGroup) || perGroup < 1) throw new Error(`backcopy: triggersPerGroup = ${perGroup} must be an integer >= 1`);
  const numTriggers = offsets.length * perGroup;
  const numNonTriggers = numOrdinary - numTriggers;
  if (!Number.isInteger(numOrdinary) || numNonTriggers < 1) throw new Error(`backcopy: numOrdinary = ${numOrdinary} leaves no non-triggers after ${numTriggers} triggers`);
  if (!Number.isInteger(successorsPerToken) || successorsPerToken < 1 || successorsPerToken > numNonTriggers) {
    throw new Error(`backcopy: successorsPerToken = ${successorsPerToken} must be in [1, ${numNonTriggers}] (the non-trigger count)`);
  }
  if (!(triggerProb >= 0 && triggerProb <= 1)) throw new Error(`backcopy: triggerProb = ${triggerProb} must be in [0, 1]`);

  const rng = new SeededRandom(STREAM_WORLD, options.taskSeed);
  const ids = Array.from({ length: numOrdinary }, (_, i) => i);
  const permutation = rng.shuffled(ids);
  const triggerGroups = offsets.map((_, g) => permutation.slice(g * perGroup, (g + 1) * perGroup));
  const triggers = triggerGroups.flat();
  const groupOf = new Int32Array(numOrdinary).fill(-1);
  triggerGroups.forEach((group, g) => group.forEach((id) => (groupOf[id] = g)));
  const nonTriggers = ids.filter((id) => groupOf[id] < 0);

  const successors: Int32Array[] = [];
  const successorWeights: Float64Array[] = [];
  for (let id = 0; id < numOrdinary; id++) {
    successors.push(Int32Array.from(rng.shuffled(nonTriggers).slice(0, successorsPerToken)));
    // Dirichlet(1) = normalised Exp(1) draws.
    const w = Float64Array.from({ length: successorsPerToken }, () => -Math.log(1 - rng.nextFloat()));
    const sum = w.reduce((a, b) => a + b, 0);
    successorWeights.push(w.map((x) => x / sum));
  }
  return {
    taskSeed: options.taskSeed,
    numOrdinary,
    bosId: numOrdinary,
    vocabSize: numOrdinary + 1,
    offsets,
    triggerGroups,
    triggers,
    nonTriggers,
    groupOf,
    successors,
    successorWeights,
    triggerProb,
  };
}

/** Write one sequence of `length` tokens into `ids`/`isCopyTarget` at `at`. */
function sampleInto(world: BackcopyWorld, rng: SeededRandom, length: number, ids: Int32Array, isCopyTarget: Uint8Array, at: number): void {
  ids[at] = world.bosId;
  if (length < 2) return;
  ids[at + 1] = world.nonTriggers[rng.nextInt(world.nonTriggers.length)];
  for (let t = 1; t + 1 < length; t++) {
    const x = ids[at + t];
    const group = world.groupOf[x];
    if (group >= 0 && t - world.offsets[group] >= 1) {
      ids[at + t + 1] = ids[at + t - world.offsets[group]];
      isCopyTarget[at + t + 1] = 1;
      continue;
    }
    const u = rng.nextFloat();
    const weights = world.successorWeights[x];
    let j = 0;
    let cumulative = weights[0];
    while (u >= cumulative && j < weights.length - 1) cumulative += weights[++j];
    let next = world.successors[x][j];
    if (group < 0 && rng.nextFloat() < world.triggerProb) next = world.triggers[rng.nextInt(world.triggers.length)];
    ids[at + t + 1] = next;
  }
}

function sampleBatch(world: BackcopyWorld, rng: SeededRandom, count: number, length: number): BackcopyBatch {
  if (!Number.isInteger(count) || count < 1) throw new Error(`backcopy: count = ${count} must be an integer >= 1`);
  if (!Number.isInteger(length) || length < 2) throw new Error(`backcopy: length = ${length} must be an integer >= 2`);
  const ids = new Int32Array(count * length);
  const isCopyTarget = new Uint8Array(count * length);
  for (let s = 0; s < count; s++) sampleInto(world, rng, length, ids, isCopyTarget, s * length);
  return { count, length, ids, isCopyTarget };
}

/**
 * The training batch of one step. It depends only on (world, trainSeed, step), so a run resumed
 * from a checkpoint sees exactly the data an uninterrupted run would have seen.
 */
export function backcopyTrainingBatch(world: BackcopyWorld, trainSeed: number, step: number, count: number, length = BACKCOPY_SEQUENCE_LENGTH): BackcopyBatch {
  checkSeed('trainSeed', trainSeed);
  checkSeed('step', step);
  return sampleBatch(world, new SeededRandom(STREAM_BATCH, world.taskSeed, trainSeed, step), count, length);
}

/** Seed-stream tag of random first tokens (the row policy `firstToken: "random"`). */
export const FIRST_TOKEN_STREAM = 0xf1;

/**
 * Seed words of the uniformly random ordinary first tokens that replace BOS in held-out rows drawn
 * with `seed` (the row policy `firstToken: "random"`): the trainer's held-out set (seed
 * BACKCOPY_HELD_OUT_SEED) and the `bigram-backcopy` eval set with `firstToken: "random"` draw them
 * from the same stream, so that eval set with the held-out seed is the trainer's held-out set.
 */
export function heldOutFirstTokenSeedWords(seed: number = BACKCOPY_HELD_OUT_SEED): number[] {
  checkSeed('seed', seed);
  return seed === BACKCOPY_HELD_OUT_SEED ? [FIRST_TOKEN_STREAM, 0xe7a1] : [FIRST_TOKEN_STREAM, 0xe7a1, seed];
}

/** The fixed held-out set: `count` sequences from BACKCOPY_HELD_OUT_SEED, the same at every call. */
export function backcopyHeldOutSet(world: BackcopyWorld, count = 100, length = BACKCOPY_SEQUENCE_LENGTH, seed = BACKCOPY_HELD_OUT_SEED): BackcopyBatch {
  checkSeed('seed', seed);
  return sampleBatch(world, new SeededRandom(STREAM_HELD_OUT, world.taskSeed, seed), count, length);
}
