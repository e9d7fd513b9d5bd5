import type { SeededRandom } from './random.js';
import type { Corpus } from './sources/corpus.js';

/** One chosen window of the tokenized corpus. */
export interface CorpusWindow {
  /** The window's text token ids (no special tokens). */
  readonly ids: number[];
  /** Id of the document it came from. */
  readonly document: string;
  /** Offset of its first token in the document's token ids. */
  readonly tokenOffset: number;
}

export interface WindowOptions {
  /** Text tokens per window. */
  readonly windowLen: number;
  readonly count: number;
  readonly rng: SeededRandom;
  /** Tokenizes one document (no special tokens). */
  readonly encode: (text: string) => number[];
  /** At most this many windows per document; undefined = ceil(count / documents), relaxed if the corpus runs short. */
  readonly windowsPerDocument?: number;
  /** A window whose first id is this (the BOS id when no BOS is prepended) is skipped, so position 0 is never a stray BOS. */
  readonly forbiddenFirstId: number | null;
  /** "64 tokens ([BOS] + 63 text tokens)", for the too-short error. */
  readonly sequenceNote: string;
}

interface TokenizedDocument {
  readonly id: string;
  readonly ids: number[];
  /** Offsets (multiples of windowLen) of the eligible windows not chosen yet. */
  readonly free: number[];
}

/**
 * Choose `count` non-overlapping windows of the tokenized corpus, deterministically from `rng`:
 * each document's token ids are tiled from its start into windows of `windowLen` (a remainder
 * shorter than a window is dropped); documents are visited in a seeded random order and each gives
 * up to `windowsPerDocument` windows, picked uniformly among its windows and kept in text order.
 * Documents are tokenized only when visited, so a large corpus costs only what the set needs.
 */
export function selectWindows(corpus: Corpus, options: WindowOptions): CorpusWindow[] {
  const { windowLen, count, rng } = options;
  const documents = corpus.packing === 'concatenate' ? [{ id: 'all documents', text: corpus.documents.map((d) => d.text).join(corpus.separator) }] : corpus.documents;
  const cap = options.windowsPerDocument ?? Math.ceil(count / documents.length);
  const order = rng.permutation(documents.length);
  const visited: TokenizedDocument[] = [];
  const chosen: CorpusWindow[] = [];
  let skippedOnFirstId = 0;

  const take = (doc: TokenizedDocument, k: number) => {
    const picked = rng.sample(doc.free, k).sort((a, b) => a - b);
    const pickedSet = new Set(picked);
    const rest = doc.free.filter((offset) => !pickedSet.has(offset));
    doc.free.splice(0, doc.free.length, ...rest);
    for (const offset of picked) chosen.push({ ids: doc.ids.slice(offset, offset + windowLen), document: doc.id, tokenOffset: offset });
  };

  for (const index of order) {
    if (chosen.length === count) break;
    const { id, text } = documents[index];
    const ids = options.encode(text);
    const free: number[] = [];
    for (let offset = 0; offset + windowLen <= ids.length; offset += windowLen) {
      if (ids[offset] !== options.forbiddenFirstId) free.push(offset);
      else skippedOnFirstId += 1;
    }
    const doc = { id, ids, free };
    visited.push(doc);
    take(doc, Math.min(cap, free.length, count - chosen.length));
  }

  if (chosen.length < count && options.windowsPerDocument === undefined) {
    // The default cap was only for spread: fill up from the documents' remaining windows, same order.
    for (const doc of visited) {
      if (chosen.length === count) break;
      take(doc, Math.min(doc.free.length, count - chosen.length));
    }
  }

  if (chosen.length < count) {
    const totalTokens = visited.reduce((sum, d) => sum + d.ids.length, 0);
    const fitsWithoutCap = visited.reduce((sum, d) => sum + d.free.length, 0) + chosen.length;
    const capNote = options.windowsPerDocument === undefined ? '' : ` with windowsPerDocument ${options.windowsPerDocument} (${fitsWithoutCap} without that cap)`;
    // e.g. a word-level tokenizer whose unknown token is BOS turns a foreign text into BOS ids only
    const skipNote =
      skippedOnFirstId === 0
        ? ''
        : `; ${skippedOnFirstId} more window${skippedOnFirstId === 1 ? '' : 's'} start${skippedOnFirstId === 1 ? 's' : ''} with token id ${options.forbiddenFirstId}, the BOS id, which no sequence may start with when the tokenizer adds no BOS (does the tokenizer map this text to its unknown token?)`;
    throw new Error(
      `${corpus.label}: corpus too short: its ${documents.length} document${documents.length === 1 ? '' : 's'} (${totalTokens} tokens) fit ${chosen.length} ` +
        `non-overlapping sequence${chosen.length === 1 ? '' : 's'} of ${options.sequenceNote}${capNote}${skipNote}; asked for ${count}`,
    );
  }
  return chosen;
}
