import type { BosPolicy } from './bos-policy.js';

/**
 * What the eval-set builder needs from a tokenizer. model-io's CheckpointTokenizer satisfies it
 * structurally; tests can pass a small stand-in.
 */
export interface EvalTokenizer {
  /** Number of ids: highest id + 1. */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId?: number | null;
  /** Ids of special tokens (never drawn by the synthetic generators). */
  readonly specialTokenIds?: readonly number[];
  /** The text's own ids, no special tokens. */
  encodeRaw(text: string): number[];
  /** The special ids a policy puts before the text (`[]`, `[bos]`, ...). */
  prefixIds(bosPolicy: BosPolicy): number[];
  /** One line describing the tokenizer (recorded in the eval set's description). */
  describe(): string;
}

/**
 * The vocabulary facts a synthetic source needs when there is no tokenizer (e.g. from a
 * checkpoint's config.json: vocab_size, bos_token_id, eos_token_id).
 */
export interface VocabInfo {
  readonly vocabSize: number;
  readonly bosTokenId?: number | null;
  readonly eosTokenId?: number | null;
  readonly specialTokenIds?: readonly number[];
  /** What `auto` means without a tokenizer; leave unset to make `auto` an error. */
  readonly addsBosByDefault?: boolean;
}
