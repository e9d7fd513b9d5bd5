import type { SourceSpecOf } from '../schema/dataset-schema.js';
import type { SyntheticContext, SyntheticSet } from './synthetic-context.js';
import { ExcludingSampler, tokenSpaceOf } from './token-space.js';

/**
 * Uniformly random token ids (the "random tokens" input of Gu et al., ICLR 2025, sec. 3.3): each
 * of the T - |prefix| positions is an independent uniform draw over the vocabulary minus BOS/EOS
 * (minus every special id when excludeSpecialTokens), so BOS appears only where the policy puts it.
 */
export function generateRandomTokens(spec: SourceSpecOf<'random-tokens'>, ctx: SyntheticContext): SyntheticSet {
  const space = tokenSpaceOf(ctx.tokenizer, ctx.vocab, ctx.bosPolicy, ctx.where);
  const excluded = spec.excludeSpecialTokens ? space.specialIds : space.bosEosIds;
  const sampler = new ExcludingSampler(space.vocabSize, excluded);
  const bodyLength = ctx.seqLen - space.prefix.length;
  const sequences = Array.from({ length: ctx.count }, () => [...space.prefix, ...Array.from({ length: bodyLength }, () => sampler.draw(ctx.rng))]);
  return {
    sequences,
    prefix: space.prefix,
    bosTokenId: space.bosTokenId,
    label: `uniformly random ids over ${sampler.allowedCount} of ${space.vocabSize} (excluded: ${excluded.length === 0 ? 'none' : excluded.join(', ')}); ${space.origin}`,
    identity: ['random-tokens', String(space.vocabSize), excluded.join(',')],
  };
}
