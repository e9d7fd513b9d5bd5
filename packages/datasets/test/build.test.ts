/**
 * buildEvalSet on text sources, with a character-level stand-in tokenizer (id = character code,
 * BOS = 0) so that every window can be checked by hand.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetSpecInput, EvalSet } from '../src/index.js';
import { buildEvalSet, loadCorpus, parseDatasetSpec } from '../src/index.js';
import { charText, charTokenizer } from './char-tokenizer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sinkscope-build-'));
  await writeFile(join(dir, 'tiny.txt'), 'abcdefghij');
  await writeFile(join(dir, 'bos-inside.txt'), '\0bcdefgh');
  await writeFile(join(dir, 'short.jsonl'), ['ab', 'cd', 'ef', 'gh'].map((text) => JSON.stringify({ text })).join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const textSpec = (file: string, extra: Partial<DatasetSpecInput> = {}): DatasetSpecInput => ({
  name: 'tiny',
  source: { kind: 'text', path: join(dir, file) },
  count: 2,
  seqLen: 4,
  seed: 0,
  ...extra,
});
const mobySpec = (extra: Partial<DatasetSpecInput> = {}): DatasetSpecInput => ({ name: 'moby', source: { kind: 'moby-dick' }, count: 100, seqLen: 64, seed: 0, ...extra });

describe('windows of a tokenized text (hand-checked)', () => {
  it('without BOS: "abcdefghij" with T = 4 tiles into "abcd", "efgh" ("ij" dropped)', async () => {
    const set = await buildEvalSet(textSpec('tiny.txt', { bosPolicy: 'never' }), charTokenizer());
    expect(set.sequences.map(charText).sort()).toEqual(['abcd', 'efgh']);
    expect(set.origins!.map((o) => o.tokenOffset).sort()).toEqual([0, 4]);
    expect(set.firstIsBos).toBe(false);
    expect(set.prefixIds).toEqual([]);
  });

  it('with BOS: T = 4 is [BOS] + 3 text tokens, windows "abc", "def", "ghi"', async () => {
    const set = await buildEvalSet(textSpec('tiny.txt', { bosPolicy: 'always' }), charTokenizer());
    expect(set.firstIsBos).toBe(true);
    expect(set.sequences.every((row) => row.length === 4 && row[0] === 0)).toBe(true);
    const windows = set.sequences.map((row) => charText(row.slice(1)));
    expect(['abc', 'def', 'ghi']).toEqual(expect.arrayContaining(windows));
    expect(new Set(windows).size).toBe(2);
    expect(set.description).toContain('tiny: 2 x 4 tokens ([BOS] + 3) from text tiny.txt, non-overlapping windows; tokenizer: char tokenizer');
  });

  it("auto follows the tokenizer's default", async () => {
    expect((await buildEvalSet(textSpec('tiny.txt'), charTokenizer({ addsBosByDefault: true }))).firstIsBos).toBe(true);
    expect((await buildEvalSet(textSpec('tiny.txt'), charTokenizer({ addsBosByDefault: false }))).firstIsBos).toBe(false);
  });

  it('a corpus too short for N x T is an error saying how many sequences fit', async () => {
    await expect(buildEvalSet(textSpec('tiny.txt', { count: 3, bosPolicy: 'never' }), charTokenizer())).rejects.toThrow(
      'text tiny.txt: corpus too short: its 1 document (10 tokens) fit 2 non-overlapping sequences of 4 tokens (4 text tokens); asked for 3',
    );
    await expect(buildEvalSet(textSpec('tiny.txt', { count: 4, bosPolicy: 'always' }), charTokenizer())).rejects.toThrow(
      'fit 3 non-overlapping sequences of 4 tokens ([BOS] + 3 text tokens); asked for 4',
    );
  });

  it('without BOS, a window starting with the BOS id is skipped so that position 0 is never BOS', async () => {
    const set = await buildEvalSet(textSpec('bos-inside.txt', { count: 1, bosPolicy: 'never' }), charTokenizer());
    expect(set.sequences.map(charText)).toEqual(['efgh']);
    // the error counts the skipped window, so a tokenizer that maps a whole text to BOS is not taken for a short corpus
    await expect(buildEvalSet(textSpec('bos-inside.txt', { count: 2, bosPolicy: 'never' }), charTokenizer())).rejects.toThrow(
      `fit 1 non-overlapping sequence of 4 tokens (4 text tokens); 1 more window starts with token id ${charTokenizer().bosTokenId}, the BOS id, which no sequence may start with when the tokenizer adds no BOS`,
    );
  });

  it('jsonl records shorter than a window fit only when concatenated', async () => {
    const spec: DatasetSpecInput = { name: 'short', source: { kind: 'jsonl', path: join(dir, 'short.jsonl') }, count: 2, seqLen: 4, seed: 3, bosPolicy: 'never' };
    await expect(buildEvalSet(spec, charTokenizer())).rejects.toThrow('its 4 documents (8 tokens) fit 0 non-overlapping sequences');
    const joined = await buildEvalSet({ ...spec, source: { kind: 'jsonl', path: join(dir, 'short.jsonl'), packing: 'concatenate', separator: '|' } }, charTokenizer());
    expect(joined.sequences.map(charText).sort()).toEqual(['ab|c', 'd|ef']);
  });

  it('text sources need a tokenizer', async () => {
    await expect(buildEvalSet(textSpec('tiny.txt'), null)).rejects.toThrow(
      "dataset 'tiny': source 'text' is text and needs a tokenizer (this checkpoint has none: use a synthetic source, or token ids)",
    );
  });

  it('rejects a seqLen that leaves no text after the BOS', async () => {
    await expect(buildEvalSet(textSpec('tiny.txt', { seqLen: 1, bosPolicy: 'always' }), charTokenizer())).rejects.toThrow('seqLen 1 leaves no room for text after the 1 prefix token(s)');
  });
});

describe('an eval set from Moby-Dick (char tokenizer)', () => {
  let documents: Map<string, number[]>;
  let set: EvalSet;
  beforeAll(async () => {
    const corpus = await loadCorpus(parseDatasetSpec(mobySpec(), 'moby').source);
    documents = new Map(corpus.documents.map((d) => [d.id, charTokenizer().encodeRaw(d.text)]));
    set = await buildEvalSet(mobySpec({ bosPolicy: 'always' }), charTokenizer());
  });

  it('has N sequences of exactly T tokens, each [BOS] + a window of its document at a multiple of T-1', () => {
    expect(set.sequences).toHaveLength(100);
    set.sequences.forEach((row, s) => {
      expect(row).toHaveLength(64);
      expect(row[0]).toBe(0);
      const { document, tokenOffset } = set.origins![s];
      expect(tokenOffset % 63).toBe(0);
      expect(row.slice(1)).toEqual(documents.get(document)!.slice(tokenOffset, tokenOffset + 63));
    });
  });

  it('never reuses a window, and spreads over documents (default cap ceil(100 / 136) = 1)', () => {
    const keys = set.origins!.map((o) => `${o.document}@${o.tokenOffset}`);
    expect(new Set(keys).size).toBe(100);
    expect(new Set(set.origins!.map((o) => o.document)).size).toBe(100);
  });

  it('windowsPerDocument caps the windows taken from one document', async () => {
    const capped = await buildEvalSet(mobySpec({ source: { kind: 'moby-dick', windowsPerDocument: 3 } }), charTokenizer());
    const perDocument = new Map<string, number>();
    for (const o of capped.origins!) perDocument.set(o.document, (perDocument.get(o.document) ?? 0) + 1);
    expect(Math.max(...perDocument.values())).toBe(3);
    expect(perDocument.size).toBe(34); // ceil(100 / 3)
  });

  it('is deterministic: the same seed gives the same ids, another seed other ids', async () => {
    const again = await buildEvalSet(mobySpec({ bosPolicy: 'always' }), charTokenizer());
    expect(again.sequences).toEqual(set.sequences);
    expect(again.sequencesHash).toBe(set.sequencesHash);
    const other = await buildEvalSet(mobySpec({ bosPolicy: 'always', seed: 1 }), charTokenizer());
    expect(other.sequences).not.toEqual(set.sequences);
    expect(other.sequencesHash).not.toBe(set.sequencesHash);
    expect(other.sourceHash).toBe(set.sourceHash); // same corpus
  });

  it('is pinned: seed 0 picks the same windows on every machine', () => {
    expect(set.origins!.slice(0, 3)).toEqual(PINNED_MOBY_ORIGINS);
    expect(set.sequencesHash).toBe(PINNED_MOBY_HASH);
  });

  it('build options override the spec and are recorded', async () => {
    const small = await buildEvalSet(mobySpec(), charTokenizer(), { count: 5, seqLen: 16, seed: 9, bosPolicy: 'never' });
    expect([small.count, small.seqLen, small.seed, small.bosPolicy]).toEqual([5, 16, 9, 'never']);
    expect(small.sequences.map((row) => row.length)).toEqual([16, 16, 16, 16, 16]);
    expect(small.spec.count).toBe(5);
    await expect(buildEvalSet(mobySpec(), charTokenizer(), { count: 0 })).rejects.toThrow("dataset 'moby': count = 0 must be an integer in [1, 9007199254740991]");
  });
});

// Regression pins (the PRNG itself is checked against a BigInt reference in random.test.ts).
const PINNED_MOBY_ORIGINS = [
  { document: 'chapter 36', tokenOffset: 5166 },
  { document: 'chapter 96', tokenOffset: 9576 },
  { document: 'chapter 118', tokenOffset: 1323 },
];
const PINNED_MOBY_HASH = '3e9f7b611830e524b7c7a023d108300e6f8570bfeae83cfe7fabd8c13b1c2cd6';
