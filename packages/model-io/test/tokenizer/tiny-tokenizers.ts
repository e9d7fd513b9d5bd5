/** Small tokenizer.json objects built by hand, and a helper that writes checkpoint folders. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Json = Record<string, unknown>;

/**
 * A Llama-2-style sentencepiece BPE: Prepend("▁") + Replace(" ", "▁") normalizer, no
 * pre-tokenizer, byte fallback, and a TemplateProcessing post-processor that prepends `<s>`.
 * "hello world" -> "▁hello▁world" -> merges give [▁hello (15), ▁world (20)].
 */
export const LLAMA_VOCAB: Record<string, number> = {
  '<unk>': 0, '<s>': 1, '</s>': 2, '▁': 3, h: 4, e: 5, l: 6, o: 7, w: 8, r: 9, d: 10,
  '▁h': 11, ll: 12, '▁he': 13, '▁hell': 14, '▁hello': 15, '▁w': 16, or: 17, '▁wor': 18, '▁worl': 19, '▁world': 20,
  '<0x21>': 21,
};
export const LLAMA_MERGES = ['▁ h', 'l l', '▁h e', '▁he ll', '▁hell o', '▁ w', 'o r', '▁w or', '▁wor l', '▁worl d'];

const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

export function llamaTokenizerJson(options: { templateToken?: string; sequenceWrapped?: boolean } = {}): Json {
  const first = options.templateToken ?? '<s>';
  const firstId = LLAMA_VOCAB[first];
  const template = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: first, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: first, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: first, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [first]: { id: first, ids: [firstId], tokens: [first] } },
  };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    // Llama 3 style wraps the template in a Sequence after a ByteLevel processor.
    post_processor: options.sequenceWrapped ? { type: 'Sequence', processors: [{ type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true }, template] } : template,
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: LLAMA_VOCAB, merges: LLAMA_MERGES },
  };
}

/** The tokenizer_config.json transformers writes for a Llama checkpoint. */
export function llamaTokenizerConfig(extra: Json = {}): Json {
  return { tokenizer_class: 'LlamaTokenizer', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, add_eos_token: false, legacy: false, ...extra };
}

/** A WordLevel tokenizer over a few words, split on whitespace; `[UNK]` is the model's unknown token. */
export function wordLevelTokenizerJson(options: { unkToken?: string | null; extraSpecial?: string } = {}): Json {
  const vocab: Record<string, number> = { '[UNK]': 0, the: 1, cat: 2, sat: 3 };
  const added = [];
  if (options.extraSpecial) {
    vocab[options.extraSpecial] = 4;
    added.push(special(4, options.extraSpecial));
  }
  const model: Json = { type: 'WordLevel', vocab };
  if (options.unkToken !== null) model.unk_token = options.unkToken ?? '[UNK]';
  return { version: '1.0', added_tokens: added, normalizer: null, pre_tokenizer: { type: 'WhitespaceSplit' }, post_processor: null, decoder: null, model };
}

/** Write a checkpoint folder: each entry is a file name and its JSON (or raw text). */
export async function writeCheckpoint(files: Record<string, Json | string>, parent?: string): Promise<string> {
  const dir = parent ?? (await mkdtemp(join(tmpdir(), 'sinkscope-tok-')));
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}
