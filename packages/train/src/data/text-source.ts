import { SOURCES, sourceSpecSchema, type BackcopyBatch, type Corpus } from '@sinkscope/datasets';
import { SeededRandom } from './backcopy-source.js';

/** The npm-shipped corpora a text run can train on (`@sinkscope/datasets` sources). */
export const TEXT_CORPORA = ['moby-dick', 'sotu', 'brown'] as const;
export type TextCorpus = (typeof TEXT_CORPORA)[number];

/** Byte-level vocabulary: ids 0..255 are the byte values; BOS is id 256. */
export const BYTE_VOCAB_SIZE = 256;
/** Separator between a corpus's documents before encoding. */
export const DOCUMENT_SEPARATOR = '\n\n';
/** Seed of the fixed held-out windows; separate from any training seed's stream. */
export const TEXT_HELD_OUT_SEED = 0x7e47_0e7a;
// Seed-stream tag of the training-window positions (the first-token draws use their own tag).
const TRAIN_STREAM = 0x7e47;

/**
 * A text batch has the back-copy batch's shape: `ids` [count * length], BOS at column 0. No token
 * is a copy target (`isCopyTarget` all 0, so evaluation reports no copy accuracy).
 */
export type TextBatch = BackcopyBatch;

/** A corpus as UTF-8 bytes, split into a training head and a held-out tail. */
export interface TextBytes {
  readonly corpus: TextCorpus;
  readonly bytes: Uint8Array;
  /** Bytes [0, trainEnd) are for training, [trainEnd, bytes.length) are held out. */
  readonly trainEnd: number;
}

const corpusCache = new Map<TextCorpus, Uint8Array>();

/**
 * The corpus's documents joined with "\n\n", as UTF-8 bytes (cached per process: a sweep builds
 * many trainers). The shipped loaders are synchronous, which lets `new Trainer(config)` stay
 * synchronous; `loadCorpus` is their async wrapper.
 */
export function corpusBytes(corpus: TextCorpus): Uint8Array {
  const cached = corpusCache.get(corpus);
  if (cached) return cached;
  if (!TEXT_CORPORA.includes(corpus)) throw new Error(`text data: unknown corpus ${JSON.stringify(corpus)} (valid: ${TEXT_CORPORA.join(', ')})`);
  const definition = SOURCES[corpus];
  if (definition.category !== 'text') throw new Error(`text data: source '${corpus}' is not a text corpus`);
  const loaded = (definition.load as (spec: unknown) => Corpus | Promise<Corpus>)(sourceSpecSchema.parse({ kind: corpus }));
  if (loaded instanceof Promise) throw new Error(`text data: corpus '${corpus}' loads asynchronously; only synchronous corpora can be trained on`);
  const bytes = new TextEncoder().encode(loaded.documents.map((d) => d.text).join(DOCUMENT_SEPARATOR));
  corpusCache.set(corpus, bytes);
  return bytes;
}

/** Split `bytes` so the last `heldOutShare` of them (rounded down) is held out. */
export function splitTextBytes(corpus: TextCorpus, bytes: Uint8Array, heldOutShare: number): TextBytes {
  if (!(heldOutShare > 0 && heldOutShare < 1)) throw new Error(`text data: heldOutShare ${heldOutShare} must be in (0, 1)`);
  return { corpus, bytes, trainEnd: bytes.length - Math.floor(bytes.length * heldOutShare) };
}

/** `count` rows of [BOS, bytes[p .. p + length - 1)) with each p uniform in [from, to - (length - 1)]. */
function windows(text: TextBytes, rng: SeededRandom, count: number, length: number, from: number, to: number, part: string): TextBatch {
  const span = length - 1;
  const starts = to - span - from + 1;
  if (starts < 1) throw new Error(`text data: the ${part} part of '${text.corpus}' has ${to - from} bytes, fewer than one window of ${span}`);
  const ids = new Int32Array(count * length);
  for (let s = 0; s < count; s++) {
    const p = from + rng.nextInt(starts);
    ids[s * length] = BYTE_VOCAB_SIZE;
    ids.set(text.bytes.subarray(p, p + span), s * length + 1);
  }
  return { count, length, ids, isCopyTarget: new Uint8Array(count * length) };
}

/** Training batch of update `step`: a function of (seed, step) only, so resumed runs are bit-identical. */
export function textTrainingBatch(text: TextBytes, seed: number, step: number, batchSize: number, sequenceLength: number): TextBatch {
  return windows(text, new SeededRandom(TRAIN_STREAM, seed, step), batchSize, sequenceLength, 0, text.trainEnd, 'training');
}

/** The fixed held-out set: `count` windows from the held-out tail, drawn with TEXT_HELD_OUT_SEED. */
export function textHeldOutSet(text: TextBytes, count: number, sequenceLength: number): TextBatch {
  return windows(text, new SeededRandom(TEXT_HELD_OUT_SEED), count, sequenceLength, text.trainEnd, text.bytes.length, 'held-out');
}
