/** The synthetic sources: random tokens, one repeated token, and the bigram back-copy task. */
import { describe, expect, it } from 'vitest';
import type { DatasetSpecInput } from '../src/index.js';
import { BACKCOPY_HELD_OUT_SEED, backcopyHeldOutSet, buildEvalSet, createBackcopyWorld } from '../src/index.js';
import { ExcludingSampler } from '../src/synthetic/token-space.js';
import { charTokenizer } from './char-tokenizer.js';

const spec = (source: DatasetSpecInput['source'], extra: Partial<DatasetSpecInput> = {}): DatasetSpecInput => ({ name: 'syn', source, count: 200, seqLen: 50, seed: 0, ...extra });
const tenIds = { vocabSize: 10, bosTokenId: 9, addsBosByDefault: false };

describe('random tokens', () => {
  it('are uniform over the vocabulary minus BOS (chi-square and per-id bounds)', async () => {
    const set = await buildEvalSet(spec({ kind: 'random-tokens' }, { bosPolicy: 'never' }), null, { vocab: tenIds });
    const counts = new Array(10).fill(0);
    for (const row of set.sequences) for (const id of row) counts[id]++;
    expect(counts[9]).toBe(0);
    const expected = 10000 / 9; // 1111.1, sd sqrt(10000 * 1/9 * 8/9) = 31.4
    for (const c of counts.slice(0, 9)) expect(Math.abs(c - expected)).toBeLessThan(5 * 31.4);
    const chiSquare = counts.slice(0, 9).reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(37.3); // df 8, p = 1e-5
    expect(set.firstIsBos).toBe(false);
  });

  it('with BOS: position 0 is BOS and BOS never appears elsewhere', async () => {
    const set = await buildEvalSet(spec({ kind: 'random-tokens' }, { bosPolicy: 'always' }), null, { vocab: tenIds });
    expect(set.firstIsBos).toBe(true);
    expect(set.sequences.every((row) => row.length === 50 && row[0] === 9 && !row.slice(1).includes(9))).toBe(true);
    expect(set.description).toBe('syn: 200 x 50 tokens ([BOS] + 49) from uniformly random ids over 9 of 10 (excluded: 9); vocab 10, BOS 9; seed 0, bosPolicy always');
  });

  it('skip special ids unless excludeSpecialTokens is false (BOS/EOS stay excluded)', async () => {
    const vocab = { ...tenIds, eosTokenId: 8, specialTokenIds: [3, 4] };
    const drawn = async (excludeSpecialTokens: boolean) =>
      new Set((await buildEvalSet(spec({ kind: 'random-tokens', excludeSpecialTokens }, { bosPolicy: 'never' }), null, { vocab })).sequences.flat());
    expect([...(await drawn(true))].sort()).toEqual([0, 1, 2, 5, 6, 7]);
    expect([...(await drawn(false))].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('map a uniform index to the r-th allowed id', () => {
    const sampler = new ExcludingSampler(10, [2, 5]);
    expect(sampler.allowedCount).toBe(8);
    expect([...Array(8).keys()].map((r) => sampler.allowedAt(r))).toEqual([0, 1, 3, 4, 6, 7, 8, 9]);
    expect(new ExcludingSampler(5, [0, 1, 2]).allowedAt(0)).toBe(3);
  });

  it('take the vocabulary and prefix from a tokenizer when given one', async () => {
    const set = await buildEvalSet(spec({ kind: 'random-tokens' }, { count: 3, seqLen: 5 }), charTokenizer({ addsBosByDefault: true }));
    expect(set.sequences.every((row) => row[0] === 0 && row.slice(1).every((id) => id > 0 && id < 256))).toBe(true);
  });

  it('need a vocabulary, and auto needs to know the default', async () => {
    await expect(buildEvalSet(spec({ kind: 'random-tokens' }), null)).rejects.toThrow("dataset 'syn': needs a vocabulary size: pass a tokenizer or options.vocab");
    await expect(buildEvalSet(spec({ kind: 'random-tokens' }), null, { vocab: { vocabSize: 10 } })).rejects.toThrow(
      "dataset 'syn': bosPolicy 'auto' needs a tokenizer (or vocab.addsBosByDefault) to know the default; use 'always' or 'never'",
    );
    await expect(buildEvalSet(spec({ kind: 'random-tokens' }, { bosPolicy: 'always' }), null, { vocab: { vocabSize: 10 } })).rejects.toThrow("bosPolicy 'always' needs vocab.bosTokenId");
  });
});

describe('repeated token', () => {
  it('repeats one random non-special id per sequence', async () => {
    const set = await buildEvalSet(spec({ kind: 'repeated-token' }, { bosPolicy: 'always' }), null, { vocab: tenIds });
    for (const row of set.sequences) {
      expect(row[0]).toBe(9);
      expect(new Set(row.slice(1)).size).toBe(1);
      expect(row[1]).toBeLessThan(9);
    }
    expect(new Set(set.sequences.map((row) => row[1])).size).toBe(9); // 200 draws reach every allowed id
  });

  it('repeats the given id', async () => {
    const set = await buildEvalSet(spec({ kind: 'repeated-token', tokenId: 7 }, { count: 2, seqLen: 4, bosPolicy: 'never' }), null, { vocab: tenIds });
    expect(set.sequences).toEqual([
      [7, 7, 7, 7],
      [7, 7, 7, 7],
    ]);
    await expect(buildEvalSet(spec({ kind: 'repeated-token', tokenId: 10 }, { bosPolicy: 'never' }), null, { vocab: tenIds })).rejects.toThrow(
      "dataset 'syn': source.tokenId = 10 is not an id of the 10-token vocabulary",
    );
  });
});

describe('bigram back-copy', () => {
  const world = createBackcopyWorld({ taskSeed: 0 });
  const heldOut = backcopyHeldOutSet(world, 100); // the trainer's held-out set: 100 x 65, BOS first
  const heldOutRow = (s: number) => Array.from(heldOut.ids.subarray(s * 65, (s + 1) * 65));
  const backcopy = (bosPolicy: 'auto' | 'never') => spec({ kind: 'bigram-backcopy', taskSeed: 0 }, { count: 100, seqLen: 64, seed: BACKCOPY_HELD_OUT_SEED, bosPolicy });

  it("with T = 64 and the held-out seed it is the trainer's held-out set as the model reads it (positions 0..63)", async () => {
    const set = await buildEvalSet(backcopy('auto'), null);
    expect(set.firstIsBos).toBe(true);
    expect(set.sequences.map((row, s) => row.length === 64 && row.every((id, t) => id === heldOutRow(s)[t])).every(Boolean)).toBe(true);
    expect(set.prefixIds).toEqual([64]);
  });

  it('never drops the BOS and keeps T tokens x_1..x_T', async () => {
    const set = await buildEvalSet(backcopy('never'), null);
    expect(set.firstIsBos).toBe(false);
    expect(set.sequences[5]).toEqual(heldOutRow(5).slice(1, 65));
  });

  it("checks a given vocabulary against the world's", async () => {
    await expect(buildEvalSet(backcopy('auto'), null, { vocab: { vocabSize: 66 } })).rejects.toThrow("dataset 'syn': the back-copy world has 65 ids but the vocab has 66");
    await expect(buildEvalSet(backcopy('auto'), charTokenizer())).rejects.toThrow('the back-copy world has 65 ids but the tokenizer has 256');
  });

  it('firstToken random: a random ordinary token at position 0 instead of BOS, then x_1..x_{T-1}; no BOS, and always is refused', async () => {
    const random = (bosPolicy: 'auto' | 'never' | 'always', seed = BACKCOPY_HELD_OUT_SEED) =>
      spec({ kind: 'bigram-backcopy', taskSeed: 0, firstToken: 'random' }, { count: 100, seqLen: 64, seed, bosPolicy });
    const set = await buildEvalSet(random('auto'), null);
    expect(set.firstIsBos).toBe(false);
    expect(set.prefixIds).toEqual([]);
    expect(set.sequences.every((row, s) => row.length === 64 && row.slice(1).every((id, t) => id === heldOutRow(s)[t + 1]))).toBe(true);
    const firsts = set.sequences.map((row) => row[0]);
    expect(firsts.every((id) => Number.isInteger(id) && id >= 0 && id < 64)).toBe(true);
    expect(new Set(firsts).size).toBeGreaterThan(40); // 100 uniform draws over 64 ids: ~50 distinct
    expect((await buildEvalSet(random('never'), null)).sequences).toEqual(set.sequences);
    const other = await buildEvalSet(random('auto', 7), null);
    expect(other.sequences.map((row) => row[0])).not.toEqual(firsts);
    expect(other.sourceHash).toBe(set.sourceHash);
    expect(set.sourceHash).not.toBe((await buildEvalSet(backcopy('auto'), null)).sourceHash);
    await expect(buildEvalSet(random('always'), null)).rejects.toThrow(`dataset 'syn': bosPolicy "always" contradicts the source's firstToken "random"`);
  });

  it('hashes the world: another task seed is another source', async () => {
    const a = await buildEvalSet(backcopy('auto'), null);
    const b = await buildEvalSet({ ...backcopy('auto'), source: { kind: 'bigram-backcopy', taskSeed: 1 } }, null);
    expect(a.sourceHash).not.toBe(b.sourceHash);
    expect(a.sourceHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
