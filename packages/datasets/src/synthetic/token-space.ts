import type { BosPolicy } from '../bos-policy.js';
import type { EvalTokenizer, VocabInfo } from '../eval-tokenizer.js';
import type { SeededRandom } from '../random.js';

/** The ids a synthetic source may draw from, and what goes before each sequence. */
export interface TokenSpace {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  /** BOS and EOS ids, ascending (never drawn by a generator). */
  readonly bosEosIds: readonly number[];
  /** BOS, EOS and the special-token ids, ascending, without duplicates. */
  readonly specialIds: readonly number[];
  /** The ids the BOS policy puts first ([] or [bos] ...). */
  readonly prefix: readonly number[];
  /** Where the vocabulary came from, for descriptions. */
  readonly origin: string;
}

function checkId(id: number | null | undefined, vocabSize: number, what: string): number | null {
  if (id === null || id === undefined) return null;
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`${what} = ${id} is not an id in [0, ${vocabSize})`);
  return id;
}

/** Resolve the token space from a tokenizer, else from vocabulary facts; errors say what is missing. */
export function tokenSpaceOf(tokenizer: EvalTokenizer | null, vocab: VocabInfo | undefined, bosPolicy: BosPolicy, where: string): TokenSpace {
  if (tokenizer) {
    const vocabSize = tokenizer.vocabSize;
    const bos = checkId(tokenizer.bosTokenId, vocabSize, `${where}: tokenizer bosTokenId`);
    const eos = checkId(tokenizer.eosTokenId, vocabSize, `${where}: tokenizer eosTokenId`);
    return {
      vocabSize,
      bosTokenId: bos,
      bosEosIds: uniqueSorted([bos, eos]),
      specialIds: uniqueSorted([...(tokenizer.specialTokenIds ?? []), bos, eos]),
      prefix: tokenizer.prefixIds(bosPolicy),
      origin: `tokenizer: ${tokenizer.describe()}`,
    };
  }
  if (!vocab) throw new Error(`${where}: needs a vocabulary size: pass a tokenizer or options.vocab (e.g. from config.json vocab_size and bos_token_id)`);
  const vocabSize = vocab.vocabSize;
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new Error(`${where}: vocab.vocabSize = ${vocabSize} must be a positive integer`);
  const bos = checkId(vocab.bosTokenId, vocabSize, `${where}: vocab.bosTokenId`);
  const eos = checkId(vocab.eosTokenId, vocabSize, `${where}: vocab.eosTokenId`);
  let prefix: number[];
  if (bosPolicy === 'never') prefix = [];
  else if (bosPolicy === 'always' || vocab.addsBosByDefault === true) {
    if (bos === null) throw new Error(`${where}: bosPolicy '${bosPolicy}' needs vocab.bosTokenId`);
    prefix = [bos];
  } else if (vocab.addsBosByDefault === false) prefix = [];
  else throw new Error(`${where}: bosPolicy 'auto' needs a tokenizer (or vocab.addsBosByDefault) to know the default; use 'always' or 'never'`);
  return {
    vocabSize,
    bosTokenId: bos,
    bosEosIds: uniqueSorted([bos, eos]),
    specialIds: uniqueSorted([...(vocab.specialTokenIds ?? []).map((id, i) => checkId(id, vocabSize, `${where}: vocab.specialTokenIds[${i}]`)), bos, eos]),
    prefix,
    origin: `vocab ${vocabSize}${bos === null ? '' : `, BOS ${bos}`}`,
  };
}

function uniqueSorted(ids: readonly (number | null)[]): number[] {
  return [...new Set(ids.filter((id): id is number => id !== null))].sort((a, b) => a - b);
}

/** Draws uniform ids from [0, vocabSize) minus a sorted exclusion list, without building the allowed list. */
export class ExcludingSampler {
  readonly allowedCount: number;

  constructor(
    readonly vocabSize: number,
    private readonly excludedSorted: readonly number[],
  ) {
    this.allowedCount = vocabSize - excludedSorted.length;
    if (this.allowedCount < 1) throw new Error(`every id of the ${vocabSize}-token vocabulary is excluded`);
  }

  /** The r-th allowed id (0-based): skip past each excluded id at or below the running candidate. */
  allowedAt(r: number): number {
    let id = r;
    for (const excluded of this.excludedSorted) {
      if (excluded <= id) id++;
      else break;
    }
    return id;
  }

  draw(rng: SeededRandom): number {
    return this.allowedAt(rng.nextInt(this.allowedCount));
  }
}
