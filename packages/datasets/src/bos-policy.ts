/**
 * Whether each sequence starts with BOS. Same values and meaning as model-io's BosPolicy (kept
 * here so this package needs no model-io import): `auto` = the tokenizer's own default,
 * `always` = the first id is BOS, `never` = no BOS. Sink_1 means different things with and
 * without BOS (Gu et al., ICLR 2025), so every eval set records the policy and the outcome.
 */
export const BOS_POLICIES = ['auto', 'always', 'never'] as const;

export type BosPolicy = (typeof BOS_POLICIES)[number];
