// The tokenizer a trained model is saved with reads text the way the model was trained: BOS first only
// when the model saw BOS at position 0 (first-token policy `bos`), so the `auto` BOS policy of every
// pipeline and CLI command feeds a first-token-random or no-BOS model no token it never saw.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { loadTokenizer } from '@sinkscope/model-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/engine/backend.js';
import { saveCheckpoint } from '../src/training/checkpoint-state.js';
import type { FirstTokenPolicy } from '../src/training/first-token.js';
import { Trainer } from '../src/training/trainer.js';
import { tinyTrainConfig } from './tiny-config.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-tokenizer-bos-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => useBackend('wasm'));

describe("a saved model's tokenizer follows its first-token policy", () => {
  it.each([
    ['bos', true],
    ['random', false],
    ['none', false],
  ] as [FirstTokenPolicy, boolean][])('first token %s: auto puts <bos> first: %s; always does either way', async (firstToken, bosFirst) => {
    const trainer = new Trainer(tinyTrainConfig({ data: { sequenceLength: 17, heldOutSequences: 8, firstToken } }));
    const dir = join(tmp, firstToken);
    try {
      saveCheckpoint(dir, trainer, 0);
    } finally {
      trainer.dispose();
    }
    const bos = 64;
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer.bosTokenId).toBe(bos);
    expect(tokenizer.encode('t5 t6', { bosPolicy: 'auto' }).ids).toEqual(bosFirst ? [bos, 5, 6] : [5, 6]);
    expect(tokenizer.encode('t5 t6', { bosPolicy: 'always' }).ids).toEqual([bos, 5, 6]);
    expect(tokenizer.encode('t5 t6', { bosPolicy: 'never' }).ids).toEqual([5, 6]);
    // the independent reader (Hugging Face's tokenizers) agrees with `auto`
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(config.add_bos_token).toBe(bosFirst);
    const hf = new Tokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), config);
    expect(hf.encode('t5 t6').ids).toEqual(bosFirst ? [bos, 5, 6] : [5, 6]);
  });
});
