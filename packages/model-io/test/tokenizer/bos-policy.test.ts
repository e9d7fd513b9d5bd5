/**
 * BOS behaviour per transformers v4.44.2 fast class, on a hand-built Llama-style BPE whose
 * tokenizer.json template prepends <s> (id 1). Expected ids are worked out by hand from the merges
 * in tiny-tokenizers.ts: "hello world" -> "▁hello▁world" -> [▁hello 15, ▁world 20].
 */
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer, parseBosPolicy } from '../../src/tokenizer/index.js';
import { llamaTokenizerConfig, llamaTokenizerJson, writeCheckpoint } from './tiny-tokenizers.js';

const dirs: string[] = [];
async function llama(files: Record<string, Record<string, unknown>>, json = llamaTokenizerJson()) {
  const dir = await writeCheckpoint({ 'tokenizer.json': json, ...files });
  dirs.push(dir);
  return loadTokenizer(dir);
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('LlamaTokenizerFast (add_bos_token true by default)', () => {
  it('auto prepends <s>; never drops it; always keeps one', async () => {
    const tok = await llama({ 'tokenizer_config.json': llamaTokenizerConfig() });
    expect(tok.addsBosByDefault).toBe(true);
    expect(tok.encode('hello world', { bosPolicy: 'auto' })).toEqual({ ids: [1, 15, 20], firstIsBos: true, bosPolicy: 'auto' });
    expect(tok.encode('hello world', { bosPolicy: 'never' })).toEqual({ ids: [15, 20], firstIsBos: false, bosPolicy: 'never' });
    expect(tok.encode('hello world', { bosPolicy: 'always' })).toEqual({ ids: [1, 15, 20], firstIsBos: true, bosPolicy: 'always' });
    expect(tok.prefixIds('auto')).toEqual([1]);
    expect(tok.prefixIds('never')).toEqual([]);
    expect(tok.encodeRaw('hello world')).toEqual([15, 20]);
  });

  it('applies merges, byte fallback and unk as the Rust BPE does (hand-checked)', async () => {
    const tok = await llama({ 'tokenizer_config.json': llamaTokenizerConfig() });
    expect(tok.encodeRaw('hello!')).toEqual([15, 21]); // "!" has no merge: byte token <0x21>
    expect(tok.encodeRaw('held')).toEqual([13, 6, 10]); // ▁he + l + d: no "▁he l" merge
    expect(tok.encodeRaw('z')).toEqual([3, 0]); // ▁ + unknown z (no <0x7A>): <unk>
    expect(tok.encodeRaw('hello  world')).toEqual([15, 3, 20]);
  });

  it('decodes with the sentencepiece decoder; skipSpecialTokens drops <s>', async () => {
    const tok = await llama({ 'tokenizer_config.json': llamaTokenizerConfig() });
    expect(tok.decode([1, 15, 20])).toBe('<s> hello world');
    expect(tok.decode([1, 15, 20], { skipSpecialTokens: true })).toBe('hello world');
    expect(tok.decode([15, 21])).toBe('hello!');
    expect(tok.decode([])).toBe('');
  });

  it('add_bos_token false switches BOS off even though tokenizer.json prepends <s> (post-processor rebuilt)', async () => {
    const tok = await llama({ 'tokenizer_config.json': llamaTokenizerConfig({ add_bos_token: false }) });
    expect(tok.addsBosByDefault).toBe(false);
    expect(tok.encode('hello world', { bosPolicy: 'auto' })).toEqual({ ids: [15, 20], firstIsBos: false, bosPolicy: 'auto' });
    expect(tok.encode('hello world', { bosPolicy: 'always' }).ids).toEqual([1, 15, 20]);
    expect(tok.describe()).toContain('auto adds nothing (LlamaTokenizerFast rebuilds the post-processor from add_bos_token=false, add_eos_token=false)');
  });

  it('add_eos_token true appends </s>; never removes only the BOS', async () => {
    const tok = await llama({ 'tokenizer_config.json': llamaTokenizerConfig({ add_eos_token: true }) });
    expect(tok.encode('hello world', { bosPolicy: 'auto' }).ids).toEqual([1, 15, 20, 2]);
    expect(tok.encode('hello world', { bosPolicy: 'never' })).toEqual({ ids: [15, 20, 2], firstIsBos: false, bosPolicy: 'never' });
    expect(tok.describe()).toContain('auto prepends "<s>" (1) and appends "</s>" (2)');
  });

  it('without tokenizer_config, config.json model_type picks LlamaTokenizerFast and its defaults', async () => {
    const tok = await llama({ 'config.json': { model_type: 'llama', bos_token_id: 1, eos_token_id: 2 } });
    expect(tok.tokenizerClass).toBe('LlamaTokenizerFast');
    expect(tok.bosTokenId).toBe(1);
    expect(tok.encode('hello world', { bosPolicy: 'auto' }).ids).toEqual([1, 15, 20]);
    expect(tok.describe()).toBe(
      'BPE tokenizer (LlamaTokenizerFast), vocab 22, BOS 1 "<s>" (LlamaTokenizerFast default bos_token); auto prepends "<s>" (1) (LlamaTokenizerFast rebuilds the post-processor from add_bos_token=true, add_eos_token=false)',
    );
  });

  it('special_tokens_map.json overrides tokenizer_config.json (transformers precedence)', async () => {
    const tok = await llama({
      'tokenizer_config.json': llamaTokenizerConfig({ bos_token: '</s>' }),
      'special_tokens_map.json': { bos_token: { content: '<s>', lstrip: false, normalized: false, rstrip: false, single_word: false } },
    });
    expect(tok.bosTokenId).toBe(1);
    expect(tok.describe()).toContain('BOS 1 "<s>" (special_tokens_map.json bos_token)');
  });

  it('add_bos_token true with no BOS token in the vocabulary is an error naming the field', async () => {
    await expect(llama({ 'tokenizer_config.json': llamaTokenizerConfig({ bos_token: '<bos>' }) })).rejects.toThrow(
      /tokenizer_config\.json: field 'add_bos_token': is true but the tokenizer defines no BOS token/,
    );
  });
});

describe('PreTrainedTokenizerFast (generic class)', () => {
  it('keeps tokenizer.json as written: <s> still prepended although add_bos_token is false (v4.44.2), with a warning', async () => {
    const tok = await llama({ 'tokenizer_config.json': { tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<s>', add_bos_token: false } });
    expect(tok.encode('hello world', { bosPolicy: 'auto' }).ids).toEqual([1, 15, 20]);
    expect(tok.warnings).toEqual([
      'tokenizer_config.json add_bos_token=false is ignored by PreTrainedTokenizerFast in transformers v4.44.2: tokenizer.json post_processor TemplateProcessing adds the BOS',
    ]);
    expect(tok.describe()).toContain('auto prepends "<s>" (1) (tokenizer.json post_processor TemplateProcessing)');
  });

  it('warns when add_bos_token / add_eos_token cannot take effect', async () => {
    const tok = await llama({ 'tokenizer_config.json': { tokenizer_class: 'GPT2Tokenizer', bos_token: '<s>', add_bos_token: true } });
    expect(tok.warnings).toEqual([]); // the template adds <s> anyway: no conflict
    const gpt2Class = await llama({ 'tokenizer_config.json': { tokenizer_class: 'GPT2Tokenizer', bos_token: '<s>', add_eos_token: true } });
    expect(gpt2Class.encode('hello world', { bosPolicy: 'auto' }).ids).toEqual([1, 15, 20]);
    expect(gpt2Class.warnings).toEqual([
      'tokenizer_config.json add_eos_token=true is ignored by GPT2TokenizerFast in transformers v4.44.2: tokenizer.json post_processor TemplateProcessing does not add the EOS',
    ]);
  });

  it('warns when config.json and the tokenizer disagree on the BOS id, and uses the tokenizer\'s', async () => {
    const tok = await llama({ 'tokenizer_config.json': llamaTokenizerConfig(), 'config.json': { model_type: 'llama', bos_token_id: 2 } });
    expect(tok.bosTokenId).toBe(1);
    expect(tok.warnings).toEqual(["tokenizer_config.json bos_token '<s>' is id 1 but config.json bos_token_id is 2; using 1 (the id the tokenizer adds)"]);
  });
});

describe('other families', () => {
  it('GPTNeoXTokenizerFast (Pythia) rebuilds with add_bos_token false by default: the template\'s <s> is dropped', async () => {
    const pythia = await llama({ 'tokenizer_config.json': { tokenizer_class: 'GPTNeoXTokenizer', bos_token: '<s>', eos_token: '</s>' } });
    expect(pythia.encode('hello world', { bosPolicy: 'auto' }).ids).toEqual([15, 20]);
    expect(pythia.addsBosByDefault).toBe(false);
    const withBos = await llama({ 'tokenizer_config.json': { tokenizer_class: 'GPTNeoXTokenizer', bos_token: '<s>', add_bos_token: true } });
    expect(withBos.encode('hello world', { bosPolicy: 'auto' }).ids).toEqual([1, 15, 20]);
  });

  it('GemmaTokenizerFast without tokenizer_config: model_type gemma, default add_bos_token true with bos from special_tokens_map', async () => {
    const gemma = await llama({ 'special_tokens_map.json': { bos_token: '<s>', eos_token: '</s>' }, 'config.json': { model_type: 'gemma', bos_token_id: 1 } });
    expect(gemma.tokenizerClass).toBe('GemmaTokenizerFast');
    expect(gemma.encode('hello world', { bosPolicy: 'auto' }).ids).toEqual([1, 15, 20]);
  });

  it('OPT: GPT2TokenizerFast keeps tokenizer.json\'s template, which prepends </s> = OPT\'s BOS', async () => {
    const opt = await llama(
      { 'tokenizer_config.json': { tokenizer_class: 'GPT2Tokenizer', bos_token: '</s>', eos_token: '</s>' }, 'config.json': { model_type: 'opt', bos_token_id: 2 } },
      llamaTokenizerJson({ templateToken: '</s>' }),
    );
    expect(opt.bosTokenId).toBe(2);
    expect(opt.encode('hello world', { bosPolicy: 'auto' })).toEqual({ ids: [2, 15, 20], firstIsBos: true, bosPolicy: 'auto' });
    expect(opt.encode('hello world', { bosPolicy: 'never' }).ids).toEqual([15, 20]);
    expect(opt.warnings).toEqual([]);
  });

  it('reads a template wrapped in a Sequence post-processor (Llama 3 layout)', async () => {
    const tok = await llama({ 'tokenizer_config.json': { tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<s>' } }, llamaTokenizerJson({ sequenceWrapped: true }));
    expect(tok.addsBosByDefault).toBe(true);
    expect(tok.encode('hello world', { bosPolicy: 'auto' }).ids).toEqual([1, 15, 20]);
    expect(tok.describe()).toContain('auto prepends "<s>" (1) (tokenizer.json post_processor Sequence)');
  });

  it('prefixIds + encodeRaw + appended specials reproduce encode for every policy', async () => {
    const tok = await llama({ 'tokenizer_config.json': llamaTokenizerConfig({ add_eos_token: true }) });
    for (const bosPolicy of ['auto', 'always', 'never'] as const) {
      for (const text of ['hello world', 'held!', '']) {
        expect(tok.encode(text, { bosPolicy }).ids).toEqual([...tok.prefixIds(bosPolicy), ...tok.encodeRaw(text), 2]);
      }
    }
  });
});

describe('parseBosPolicy', () => {
  it('accepts the three policies and names them in the error', () => {
    expect(['auto', 'always', 'never'].map(parseBosPolicy)).toEqual(['auto', 'always', 'never']);
    expect(() => parseBosPolicy('sometimes')).toThrow(`BOS policy "sometimes" is not one of 'auto', 'always', 'never'`);
  });
});
