/**
 * Whether a sequence starts with the BOS token. Sink_1 (the first token's attention share, Gu et al.,
 * ICLR 2025, sec. 3) measures different things with and without BOS, so every encoding records it.
 * - `auto`: what the checkpoint's tokenizer does by default, exactly as `transformers` v4.44.2
 *   applies it (see fast-tokenizer-classes.ts for each family).
 * - `always`: the first id is the BOS id (prepended when the tokenizer did not add it).
 * - `never`: no BOS added (a BOS that the post-processor put first is dropped).
 */
export const BOS_POLICIES = ['auto', 'always', 'never'] as const;

export type BosPolicy = (typeof BOS_POLICIES)[number];

export function isBosPolicy(value: unknown): value is BosPolicy {
  return typeof value === 'string' && (BOS_POLICIES as readonly string[]).includes(value);
}

/** Parse a user-supplied policy (CLI flag, spec field); the error lists the valid choices. */
export function parseBosPolicy(value: string): BosPolicy {
  if (isBosPolicy(value)) return value;
  throw new Error(`BOS policy ${JSON.stringify(value)} is not one of ${BOS_POLICIES.map((p) => `'${p}'`).join(', ')}`);
}
