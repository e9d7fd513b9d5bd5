import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Tokenizer } from '@huggingface/tokenizers';
import { loadCorpus, sourceSpecSchema } from '@sinkscope/datasets';
import { TfjsModel, loadTokenizer } from '@sinkscope/model-io';
import { scaledMaxDiff } from '@sinkscope/model-io/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusBytes, splitTextBytes, textHeldOutSet, textTrainingBatch, type TextBytes } from '../src/data/text-source.js';
import { useBackend } from '../src/engine/backend.js';
import { forward } from '../src/model/tfjs-forward.js';
import { byteLevelTokenizerConfigJson, byteLevelTokenizerJson, byteToUnicode } from '../src/model/tokenizer.js';
import { loadCheckpoint, saveCheckpoint } from '../src/training/checkpoint-state.js';
import { normaliseTrainConfig, type TrainConfig, type TrainConfigInput } from '../src/training/config.js';
import { Trainer } from '../src/training/trainer.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-text-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => useBackend('wasm'));

const SAMPLE = 'Call me Ishmael. é';
const SAMPLE_BYTES = [...Buffer.from(SAMPLE, 'utf8')]; // é = 0xc3 0xa9

/** 1 layer x 32, 4 heads, batch 8, T = 32 on moby-dick. */
function tinyTextConfig(overrides: TrainConfigInput = {}): TrainConfig {
  return normaliseTrainConfig({
    model: { nEmbd: 32, nLayer: 1, nHead: 4 },
    data: { task: 'text', corpus: 'moby-dick', sequenceLength: 33, heldOutSequences: 8 },
    batchSize: 8,
    steps: 30,
    schedule: { peakLr: 1e-2, warmupSteps: 5 },
    ...overrides,
  });
}

describe('text data config', () => {
  it('fills the text defaults and derives a 257-id byte vocabulary with BOS = 256', () => {
    const config = normaliseTrainConfig({ data: { task: 'text', corpus: 'sotu' } });
    expect(config.data).toEqual({ task: 'text', corpus: 'sotu', sequenceLength: 65, heldOutSequences: 100, firstToken: 'bos', heldOutShare: 0.05, randomFirstTokens: 1, fixedToken: null, uniqueTokens: null });
    expect([config.model.vocabSize, config.model.bosTokenId, config.model.eosTokenId, config.model.nPositions]).toEqual([257, 256, 256, 64]);
    // No task = back-copy, as before.
    expect(normaliseTrainConfig({ data: { sequenceLength: 17 } }).data.task).toBe('backcopy');
  });

  it('rejects unknown fields, corpora and shares, naming them', () => {
    expect(() => normaliseTrainConfig({ data: { task: 'text', offsets: [1] } as never }, 'run.json')).toThrow(/run\.json data: unknown field\(s\) 'offsets'; valid: task, corpus/);
    expect(() => normaliseTrainConfig({ data: { task: 'text', corpus: 'wiki' } as never })).toThrow(/data\.corpus "wiki" must be one of moby-dick, sotu, brown/);
    expect(() => normaliseTrainConfig({ data: { task: 'text', heldOutShare: 1 } })).toThrow(/data\.heldOutShare 1 must be a number in \(0, 1\)/);
    expect(() => normaliseTrainConfig({ data: { task: 'poems' } as never })).toThrow(/data\.task "poems" is not supported \(valid: backcopy, text\)/);
    expect(() => normaliseTrainConfig({ data: { task: 'text' }, model: { vocabSize: 300 } })).toThrow(/model\.vocabSize 300 must be the data's 256 ordinary ids \+ BOS = 257/);
  });
});

describe('text batches', () => {
  it('are the corpus documents joined with "\\n\\n" as UTF-8 bytes, last 5 % held out', async () => {
    const bytes = corpusBytes('moby-dick');
    const corpus = await loadCorpus(sourceSpecSchema.parse({ kind: 'moby-dick' }));
    expect(Buffer.from(bytes).equals(Buffer.from(corpus.documents.map((d) => d.text).join('\n\n'), 'utf8'))).toBe(true);
    expect(Buffer.from(bytes.subarray(0, 16)).toString('utf8')).toBe('Call me Ishmael.');
    const text = splitTextBytes('moby-dick', bytes, 0.05);
    expect(text.bytes.length - text.trainEnd).toBe(Math.floor(0.05 * bytes.length));
  });

  it('depend only on (seed, step): equal when repeated, different for another step or seed', () => {
    const text = splitTextBytes('moby-dick', corpusBytes('moby-dick'), 0.05);
    const a = textTrainingBatch(text, 1, 7, 8, 33);
    expect(a.ids).toEqual(textTrainingBatch(text, 1, 7, 8, 33).ids);
    expect(a.ids).not.toEqual(textTrainingBatch(text, 1, 8, 8, 33).ids);
    expect(a.ids).not.toEqual(textTrainingBatch(text, 2, 7, 8, 33).ids);
    expect([a.count, a.length, a.ids.length]).toEqual([8, 33, 8 * 33]);
    expect(a.isCopyTarget.every((x) => x === 0)).toBe(true);
    // Each row is BOS + 32 consecutive corpus bytes lying wholly in the training part.
    const haystack = Buffer.from(text.bytes);
    for (let s = 0; s < a.count; s++) {
      expect(a.ids[s * 33]).toBe(256);
      const first = haystack.indexOf(Buffer.from(a.ids.subarray(s * 33 + 1, (s + 1) * 33)));
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThanOrEqual(text.trainEnd - 32);
    }
  });

  it('draw held-out windows only from the held-out tail, and training windows only before it', () => {
    // Analytic corpus: training bytes are 0..99, held-out bytes 200..249, so a window's values say
    // where it came from; consecutive bytes step by one (mod), so a window is contiguous.
    const n = 5000;
    const trainEnd = 4000;
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i < trainEnd ? i % 100 : 200 + ((i - trainEnd) % 50)));
    const text: TextBytes = { corpus: 'moby-dick', bytes, trainEnd };
    const heldOut = textHeldOutSet(text, 100, 33);
    expect(heldOut.ids).toEqual(textHeldOutSet(text, 100, 33).ids); // fixed seed
    const train = textTrainingBatch(text, 5, 0, 100, 33);
    for (const [batch, lo, hi, mod] of [[heldOut, 200, 249, 50], [train, 0, 99, 100]] as const) {
      for (let s = 0; s < batch.count; s++) {
        const row = batch.ids.subarray(s * 33 + 1, (s + 1) * 33);
        expect(Math.min(...row)).toBeGreaterThanOrEqual(lo);
        expect(Math.max(...row)).toBeLessThanOrEqual(hi);
        for (let t = 1; t < row.length; t++) expect((row[t] - row[t - 1] + mod) % mod).toBe(1);
      }
    }
    // The real split: every held-out window of moby-dick occurs in the tail.
    const moby = splitTextBytes('moby-dick', corpusBytes('moby-dick'), 0.05);
    const set = textHeldOutSet(moby, 100, 65);
    const haystack = Buffer.from(moby.bytes);
    for (let s = 0; s < set.count; s++) expect(haystack.indexOf(Buffer.from(set.ids.subarray(s * 65 + 1, (s + 1) * 65)), moby.trainEnd)).toBeGreaterThanOrEqual(moby.trainEnd);
    expect(() => textHeldOutSet({ corpus: 'moby-dick', bytes, trainEnd: n - 10 }, 1, 33)).toThrow(/held-out part of 'moby-dick' has 10 bytes, fewer than one window of 32/);
  });

  it('apply the first-token policy: random puts a byte at position 0, none drops BOS', () => {
    const random = new Trainer(tinyTextConfig({ data: { task: 'text', sequenceLength: 33, heldOutSequences: 8, firstToken: 'random' } }));
    const none = new Trainer(tinyTextConfig({ data: { task: 'text', sequenceLength: 33, heldOutSequences: 8, firstToken: 'none' } }));
    try {
      const firsts = Array.from({ length: 8 }, (_, s) => random.heldOut.ids[s * 33]);
      expect(firsts.every((id) => id >= 0 && id < 256)).toBe(true);
      expect(new Set(firsts).size).toBeGreaterThan(1);
      expect(none.heldOut.length).toBe(32);
      expect(none.contextLength).toBe(31);
      expect([...none.heldOut.ids].every((id) => id < 256)).toBe(true);
    } finally {
      random.dispose();
      none.dispose();
    }
  });
});

describe('byte-level tokenizer.json', () => {
  it('maps GPT-2 byte characters 1:1 to the 256 byte values', () => {
    const chars = byteToUnicode();
    expect(new Set(chars).size).toBe(256);
    expect([chars[0x41], chars[0x20], chars[0x0a], chars[0x00], chars[0xad], chars[0xff]]).toEqual(['A', '\u0120', '\u010a', '\u0100', '\u0143', '\u00ff']);
  });

  it('encodes text to BOS + exactly its UTF-8 bytes and decodes it back (@huggingface/tokenizers)', () => {
    const tokenizer = new Tokenizer(byteLevelTokenizerJson() as never, byteLevelTokenizerConfigJson(64) as never);
    const ids = tokenizer.encode(SAMPLE).ids;
    expect(ids).toEqual([256, ...SAMPLE_BYTES]);
    expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe(SAMPLE);
    const awkward = ' two  spaces\n\ttab \u0000 \u{1f40b}';
    expect(tokenizer.encode(awkward).ids).toEqual([256, ...Buffer.from(awkward, 'utf8')]);
  });
});

describe('training on moby-dick', () => {
  it('lowers the loss in 30 steps, saves a folder model-io loads with the same logits, and resumes bit for bit', async () => {
    const config = tinyTextConfig();
    const trainer = new Trainer(config);
    const atStart = tf.memory().numTensors;
    const losses = Array.from({ length: 30 }, () => trainer.trainStep().loss);
    expect(tf.memory().numTensors).toBe(atStart); // nothing kept between steps
    // Start near uniform over 257 ids (ln 257 = 5.55); 30 steps learn byte frequencies and more.
    expect(losses[0]).toBeGreaterThan(5.3);
    expect(losses[0]).toBeLessThan(5.8);
    const lastFive = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(lastFive).toBeLessThan(losses[0] - 2); // measured: 5.56 -> 3.09
    const record = trainer.evaluate();
    expect(record.copyAccuracy).toBeNull();
    expect(record.loss).toBeLessThan(losses[0] - 2); // held-out tail, measured 3.15

    const dir = join(tmp, 'moby');
    saveCheckpoint(dir, trainer, 1);
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'))).toMatchObject({ bos_token: '<bos>', eos_token: '<bos>', model_max_length: 32 });

    // The saved folder through model-io's own forward pass: the trainer's logits (<= 1e-4 scaled).
    const ids = [Array.from(trainer.heldOut.ids.subarray(0, 32)), Array.from(trainer.heldOut.ids.subarray(33, 65))];
    const expected = tf.tidy(() => forward(config.model, trainer.params, tf.tensor2d(ids, [2, 32], 'int32')).logits.dataSync() as Float32Array);
    const model = await TfjsModel.load(dir, { backend: 'wasm' });
    try {
      const got = model.run(ids, { capture: ['logits'] }).get('logits')!.data;
      expect(got.length).toBe(2 * 32 * 257);
      expect(scaledMaxDiff(got, expected)).toBeLessThan(1e-4);
    } finally {
      model.dispose();
    }

    const tokenizer = await loadTokenizer(dir);
    const encoded = tokenizer.encode(SAMPLE, { bosPolicy: 'auto' });
    expect(encoded.ids).toEqual([256, ...SAMPLE_BYTES]);
    expect(encoded.firstIsBos).toBe(true);
    expect(tokenizer.decode(encoded.ids, { skipSpecialTokens: true })).toBe(SAMPLE);

    // Resuming from the folder continues the run exactly (batches depend on (seed, step) only).
    const continued = Array.from({ length: 2 }, () => trainer.trainStep().loss);
    const { trainer: resumed } = loadCheckpoint(dir);
    try {
      expect(resumed.step).toBe(30);
      expect([resumed.trainStep().loss, resumed.trainStep().loss]).toEqual(continued);
    } finally {
      resumed.dispose();
      trainer.dispose();
    }
  });
});
