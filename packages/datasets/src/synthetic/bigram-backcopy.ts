import type { SourceSpecOf } from '../schema/dataset-schema.js';
import { SeededRandom } from '../random.js';
import { backcopyHeldOutSet, createBackcopyWorld, heldOutFirstTokenSeedWords } from './backcopy.js';
import type { SyntheticContext, SyntheticSet } from './synthetic-context.js';

/**
 * Held-out sequences of the multi-offset bigram back-copy task (backcopy.ts), drawn from the
 * held-out stream with the spec's seed: `seqLen + 1` tokens are generated (x_0 = BOS, x_1..x_T) and
 * the set keeps [BOS, x_1..x_{T-1}] when the policy has BOS (`auto` too: the task always starts
 * with BOS, as the model was trained), or x_1..x_T with `never`. With T = 64 and the held-out seed
 * this is exactly the trainer's held-out set (65 tokens) as the model reads it (positions 0..63).
 * With `firstToken: "random"` (a model trained with a random ordinary first token instead of BOS)
 * position 0 holds that token, drawn as the trainer draws its held-out rows' (the same set again with
 * the held-out seed); such rows have no BOS, so `never` keeps them and `always` is an error.
 */
export function generateBigramBackcopy(spec: SourceSpecOf<'bigram-backcopy'>, ctx: SyntheticContext): SyntheticSet {
  const { kind: _kind, firstToken = 'bos', ...worldOptions } = spec;
  const world = createBackcopyWorld(worldOptions);
  const vocabSize = ctx.tokenizer?.vocabSize ?? ctx.vocab?.vocabSize;
  const bos = ctx.tokenizer ? ctx.tokenizer.bosTokenId : ctx.vocab?.bosTokenId;
  if (vocabSize !== undefined && vocabSize !== world.vocabSize) {
    throw new Error(`${ctx.where}: the back-copy world has ${world.vocabSize} ids but the ${ctx.tokenizer ? 'tokenizer' : 'vocab'} has ${vocabSize}`);
  }
  if (bos !== undefined && bos !== null && bos !== world.bosId) {
    throw new Error(`${ctx.where}: the back-copy world's BOS is ${world.bosId} but the ${ctx.tokenizer ? 'tokenizer' : 'vocab'} says ${bos}`);
  }
  const randomFirst = firstToken === 'random';
  if (randomFirst && ctx.bosPolicy === 'always') throw new Error(`${ctx.where}: bosPolicy "always" contradicts the source's firstToken "random" (rows start with a random ordinary token, never BOS)`);
  const withBos = ctx.bosPolicy !== 'never' && !randomFirst;
  const generated = backcopyHeldOutSet(world, ctx.count, ctx.seqLen + 1, ctx.seed);
  const firstTokens = randomFirst ? new SeededRandom(...heldOutFirstTokenSeedWords(ctx.seed)) : null;
  const sequences = Array.from({ length: ctx.count }, (_, s) => {
    const row = Array.from(generated.ids.subarray(s * generated.length, (s + 1) * generated.length));
    if (firstTokens) return [firstTokens.nextInt(world.numOrdinary), ...row.slice(1, ctx.seqLen)];
    return withBos ? row.slice(0, ctx.seqLen) : row.slice(1, ctx.seqLen + 1);
  });
  const worldTables = JSON.stringify({
    offsets: world.offsets,
    triggerGroups: world.triggerGroups,
    successors: world.successors.map((s) => Array.from(s)),
    weights: world.successorWeights.map((w) => Array.from(w)),
    triggerProb: world.triggerProb,
  });
  return {
    sequences,
    prefix: withBos ? [world.bosId] : [],
    bosTokenId: world.bosId,
    label: `bigram back-copy held-out sequences (task seed ${world.taskSeed}, ${world.numOrdinary} ordinary ids + BOS ${world.bosId}, offsets ${world.offsets.join('/')}${randomFirst ? ', a random ordinary first token' : ''})`,
    identity: randomFirst ? ['bigram-backcopy', worldTables, 'first token random'] : ['bigram-backcopy', worldTables],
  };
}
