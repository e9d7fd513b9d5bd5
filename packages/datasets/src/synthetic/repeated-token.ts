import type { SourceSpecOf } from '../schema/dataset-schema.js';
import type { SyntheticContext, SyntheticSet } from './synthetic-context.js';
import { ExcludingSampler, tokenSpaceOf } from './token-space.js';

/**
 * One token repeated over the sequence (the "repeated tokens" input of Gu et al., ICLR 2025,
 * sec. 3.3): `tokenId` if given, else one uniformly drawn non-special id per sequence.
 */
export function generateRepeatedToken(spec: SourceSpecOf<'repeated-token'>, ctx: SyntheticContext): SyntheticSet {
  const space = tokenSpaceOf(ctx.tokenizer, ctx.vocab, ctx.bosPolicy, ctx.where);
  if (spec.tokenId !== undefined && spec.tokenId >= space.vocabSize) {
    throw new Error(`${ctx.where}: source.tokenId = ${spec.tokenId} is not an id of the ${space.vocabSize}-token vocabulary`);
  }
  const sampler = new ExcludingSampler(space.vocabSize, space.specialIds);
  const bodyLength = ctx.seqLen - space.prefix.length;
  const sequences = Array.from({ length: ctx.count }, () => {
    const token = spec.tokenId ?? sampler.draw(ctx.rng);
    return [...space.prefix, ...new Array<number>(bodyLength).fill(token)];
  });
  const what = spec.tokenId === undefined ? `a random non-special id per sequence (of ${sampler.allowedCount})` : `id ${spec.tokenId}`;
  return {
    sequences,
    prefix: space.prefix,
    bosTokenId: space.bosTokenId,
    label: `one repeated token: ${what}; ${space.origin}`,
    identity: ['repeated-token', String(space.vocabSize), String(spec.tokenId ?? 'random'), space.specialIds.join(',')],
  };
}
