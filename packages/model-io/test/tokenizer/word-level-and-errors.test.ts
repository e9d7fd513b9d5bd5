/** WordLevel tokenizers, BOS ids that only the model config defines, and load errors. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenizerError, hasTokenizer, loadTokenizer } from '../../src/tokenizer/index.js';
import { llamaTokenizerConfig, llamaTokenizerJson, wordLevelTokenizerJson, writeCheckpoint } from './tiny-tokenizers.js';

const dirs: string[] = [];
async function checkpoint(files: Record<string, Record<string, unknown> | string>) {
  const dir = await writeCheckpoint(files);
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('WordLevel tokenizers', () => {
  it('maps words to ids and unknown words to the model unk_token, with no tokenizer_config at all', async () => {
    const tok = await loadTokenizer(await checkpoint({ 'tokenizer.json': wordLevelTokenizerJson() }));
    expect(tok.modelType).toBe('WordLevel');
    expect(tok.vocabSize).toBe(4);
    expect(tok.encode('the cat sat on', { bosPolicy: 'auto' })).toEqual({ ids: [1, 2, 3, 0], firstIsBos: false, bosPolicy: 'auto' });
    expect(tok.decode([1, 2, 3])).toBe('the cat sat');
    expect(tok.bosTokenId).toBeNull();
    expect(tok.describe()).toBe('WordLevel tokenizer (PreTrainedTokenizerFast), vocab 4, no BOS; auto adds nothing (tokenizer.json post_processor null)');
  });

  it("'always' without any BOS id is an error naming every file that could define one", async () => {
    const dir = await checkpoint({ 'tokenizer.json': wordLevelTokenizerJson() });
    const tok = await loadTokenizer(dir);
    expect(() => tok.encode('the cat', { bosPolicy: 'always' })).toThrow(
      `${dir}: bosPolicy 'always' needs a BOS id, but the checkpoint defines none: checked ${join(dir, 'config.json')} bos_token_id, ` +
        `${join(dir, 'generation_config.json')} bos_token_id, ${join(dir, 'tokenizer_config.json')} bos_token, ${join(dir, 'special_tokens_map.json')} bos_token and PreTrainedTokenizerFast has no default`,
    );
    expect(() => tok.prefixIds('always')).toThrow(TokenizerError);
    expect(tok.encode('the cat', { bosPolicy: 'never' }).ids).toEqual([1, 2]);
  });

  it('is an error naming tokenizer.json when a word has no id and there is no unk_token', async () => {
    const dir = await checkpoint({ 'tokenizer.json': wordLevelTokenizerJson({ unkToken: null }) });
    const tok = await loadTokenizer(dir);
    expect(() => tok.encodeRaw('the dog')).toThrow(`${join(dir, 'tokenizer.json')}: field 'model.unk_token': text piece "dog" has no id (not in the vocabulary, and the model defines no unk_token)`);
  });

  it('a symbolic vocabulary with a special <bos> (the trained-model layout): auto adds none, always prepends it', async () => {
    const dir = await checkpoint({
      'tokenizer.json': wordLevelTokenizerJson({ extraSpecial: '<bos>' }),
      'tokenizer_config.json': { tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<bos>', eos_token: '<bos>', add_bos_token: false },
      'config.json': { model_type: 'gpt2', bos_token_id: 4, eos_token_id: 4 },
    });
    const tok = await loadTokenizer(dir);
    expect(tok.bosTokenId).toBe(4);
    expect(tok.specialTokenIds).toEqual([4]);
    expect(tok.warnings).toEqual([]);
    expect(tok.encode('cat sat', { bosPolicy: 'auto' })).toEqual({ ids: [2, 3], firstIsBos: false, bosPolicy: 'auto' });
    expect(tok.encode('cat sat', { bosPolicy: 'always' })).toEqual({ ids: [4, 2, 3], firstIsBos: true, bosPolicy: 'always' });
    expect(tok.encode('<bos> cat', { bosPolicy: 'never' })).toEqual({ ids: [4, 2], firstIsBos: true, bosPolicy: 'never' }); // literal <bos> in the text stays, and is reported
  });

  it('falls back to config.json bos_token_id when the tokenizer files name no BOS', async () => {
    const tok = await loadTokenizer(await checkpoint({ 'tokenizer.json': wordLevelTokenizerJson(), 'config.json': { bos_token_id: 3 } }));
    expect(tok.bosTokenId).toBe(3);
    expect(tok.bosToken).toBe('sat');
    expect(tok.describe()).toContain('BOS 3 "sat" (config.json bos_token_id)');
    expect(tok.encode('the cat', { bosPolicy: 'always' }).ids).toEqual([3, 1, 2]);
  });

  it('then to generation_config.json (first id of a list)', async () => {
    const tok = await loadTokenizer(await checkpoint({ 'tokenizer.json': wordLevelTokenizerJson(), 'generation_config.json': { bos_token_id: [2, 3] } }));
    expect(tok.bosTokenId).toBe(2);
  });

  it('Qwen2-style: tokenizer bos_token null, BOS id from config.json, auto adds none', async () => {
    const tok = await loadTokenizer(
      await checkpoint({
        'tokenizer.json': wordLevelTokenizerJson(),
        'tokenizer_config.json': { tokenizer_class: 'Qwen2Tokenizer', bos_token: null, eos_token: 'sat' },
        'config.json': { model_type: 'qwen2', bos_token_id: 3 },
      }),
    );
    expect(tok.tokenizerClass).toBe('Qwen2TokenizerFast');
    expect(tok.bosTokenId).toBe(3);
    expect(tok.eosTokenId).toBe(3);
    expect(tok.addsBosByDefault).toBe(false);
    expect(tok.encode('the cat', { bosPolicy: 'auto' }).ids).toEqual([1, 2]);
  });
});

describe('load errors', () => {
  it('hasTokenizer tells whether tokenizer.json is there', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'sinkscope-tok-'));
    dirs.push(empty);
    expect(hasTokenizer(empty)).toBe(false);
    expect(hasTokenizer(await checkpoint({ 'tokenizer.json': wordLevelTokenizerJson() }))).toBe(true);
    await expect(loadTokenizer(empty)).rejects.toThrow(`${join(empty, 'tokenizer.json')}: not found. Work from token ids instead (check hasTokenizer(dir) first).`);
  });

  it('points a GPT-2 slow checkpoint (vocab.json + merges.txt) at the converter', async () => {
    const dir = await checkpoint({ 'vocab.json': { a: 0 }, 'merges.txt': '#version: 0.2\n' });
    await expect(loadTokenizer(dir)).rejects.toThrow('convert them with `npx tsx packages/model-io/tools/gpt2-bpe-to-tokenizer-json.ts`');
  });

  it('names a folder that does not exist', async () => {
    await expect(loadTokenizer('/no/such/checkpoint')).rejects.toThrow('/no/such/checkpoint: is not a checkpoint folder (no such directory)');
  });

  it('names a tokenizer.json that is not JSON', async () => {
    const dir = await checkpoint({ 'tokenizer.json': '{"model": ' });
    await expect(loadTokenizer(dir)).rejects.toThrow(new RegExp(`^${join(dir, 'tokenizer.json')}: is not valid JSON`));
  });

  it('names a malformed companion file', async () => {
    const dir = await checkpoint({ 'tokenizer.json': wordLevelTokenizerJson(), 'tokenizer_config.json': '[1, 2]' });
    await expect(loadTokenizer(dir)).rejects.toThrow(`${join(dir, 'tokenizer_config.json')}: must hold a JSON object, found an array`);
  });

  it('names the missing model and bad fields', async () => {
    const noModel = await checkpoint({ 'tokenizer.json': { version: '1.0', added_tokens: [] } });
    await expect(loadTokenizer(noModel)).rejects.toThrow(`${join(noModel, 'tokenizer.json')}: field 'model': is required and must be an object, got undefined`);
    const badType = await checkpoint({ 'tokenizer.json': { model: { type: 'Magic', vocab: {} } } });
    await expect(loadTokenizer(badType)).rejects.toThrow(`field 'model.type': "Magic" is not one of BPE, WordPiece, Unigram, WordLevel`);
    const badBos = await checkpoint({ 'tokenizer.json': wordLevelTokenizerJson(), 'tokenizer_config.json': { bos_token: 7 } });
    await expect(loadTokenizer(badBos)).rejects.toThrow(`${join(badBos, 'tokenizer_config.json')}: field 'bos_token': expected a token string or {"content": ...}, got 7`);
    const badFlag = await checkpoint({ 'tokenizer.json': llamaTokenizerJson(), 'tokenizer_config.json': llamaTokenizerConfig({ add_bos_token: 'yes' }) });
    await expect(loadTokenizer(badFlag)).rejects.toThrow(`field 'add_bos_token': expected true or false, got "yes"`);
  });

  it('rejects a missing policy and out-of-range ids', async () => {
    const tok = await loadTokenizer(await checkpoint({ 'tokenizer.json': wordLevelTokenizerJson() }));
    // @ts-expect-error the policy is required on purpose
    expect(() => tok.encode('the', {})).toThrow("bosPolicy undefined is not one of 'auto', 'always', 'never' (it is required: Sink_1 depends on it)");
    expect(() => tok.decode([1, 9])).toThrow('decode: ids[1] = 9 is not a token id of this tokenizer (vocab 4)');
  });
});
