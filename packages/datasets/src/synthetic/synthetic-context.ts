import type { BosPolicy } from '../bos-policy.js';
import type { EvalTokenizer, VocabInfo } from '../eval-tokenizer.js';
import type { SeededRandom } from '../random.js';

/** What a synthetic generator gets from the builder. */
export interface SyntheticContext {
  readonly count: number;
  readonly seqLen: number;
  readonly seed: number;
  readonly bosPolicy: BosPolicy;
  readonly rng: SeededRandom;
  readonly tokenizer: EvalTokenizer | null;
  readonly vocab: VocabInfo | undefined;
  /** Prefix for error messages (the spec's name). */
  readonly where: string;
}

/** A generated set. */
export interface SyntheticSet {
  readonly sequences: number[][];
  /** The ids every sequence starts with (BOS or nothing). */
  readonly prefix: readonly number[];
  readonly bosTokenId: number | null;
  /** Human-readable, for the eval set's description. */
  readonly label: string;
  /** What determines the source (hashed into sourceHash). */
  readonly identity: readonly string[];
}
