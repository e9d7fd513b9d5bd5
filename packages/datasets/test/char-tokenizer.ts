import type { BosPolicy, EvalTokenizer } from '../src/index.js';

/**
 * A stand-in tokenizer whose ids are hand-checkable: one id per UTF-16 code unit (its code, 255 for
 * anything above), BOS = 0 (the NUL character, absent from real text).
 */
export function charTokenizer(options: { addsBosByDefault?: boolean } = {}): EvalTokenizer & { readonly addsBosByDefault: boolean } {
  const addsBos = options.addsBosByDefault ?? false;
  return {
    vocabSize: 256,
    bosTokenId: 0,
    eosTokenId: null,
    specialTokenIds: [0],
    addsBosByDefault: addsBos,
    encodeRaw: (text: string) => Array.from(text, (c) => Math.min(c.charCodeAt(0), 255)),
    prefixIds: (policy: BosPolicy) => (policy === 'always' || (policy === 'auto' && addsBos) ? [0] : []),
    describe: () => `char tokenizer (BOS 0, auto ${addsBos ? 'prepends BOS' : 'adds nothing'})`,
  };
}

/** Ids back to text (inverse of encodeRaw for ASCII). */
export function charText(ids: readonly number[]): string {
  return String.fromCharCode(...ids);
}
