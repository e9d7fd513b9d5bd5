/**
 * A WordLevel `tokenizer.json` (Hugging Face tokenizers format) for a symbolic vocabulary:
 * ordinary ids 0..n-1 are the words `t0`..`t{n-1}`, split on whitespace; BOS is the special
 * token `<bos>`. `tokenizer_config.json` names it as bos/eos (GPT-2 convention bos = eos). A model
 * trained with BOS at position 0 of every sequence (`bosFirst`, the default) gets a post-processor
 * that prepends it; one trained without (first-token policy `none` or `random`, Gu et al. sec. 6)
 * gets none and `add_bos_token: false`. Either way the `auto` BOS policy reads text the way the model
 * was trained, and `always` can still put `<bos>` first.
 */
export function symbolName(id: number): string {
  return `t${id}`;
}

export const BOS_TOKEN = '<bos>';

/** Whether the model saw `<bos>` first in training: the tokenizer's post-processor then prepends it. */
export interface BosFirstOption {
  readonly bosFirst?: boolean;
}

export function wordLevelTokenizerJson(numOrdinary: number, bosId: number, { bosFirst = true }: BosFirstOption = {}): Record<string, unknown> {
  if (bosId !== numOrdinary) throw new Error(`wordLevelTokenizerJson: BOS id ${bosId} must follow the ${numOrdinary} ordinary ids`);
  const vocab: Record<string, number> = {};
  for (let id = 0; id < numOrdinary; id++) vocab[symbolName(id)] = id;
  vocab[BOS_TOKEN] = bosId;
  return withBosToken(bosId, bosFirst, { pre_tokenizer: { type: 'WhitespaceSplit' }, decoder: null, model: { type: 'WordLevel', vocab, unk_token: BOS_TOKEN } });
}

/**
 * A `tokenizer.json` around a pre-tokenizer, decoder and model, with `<bos>` (id `bosId`) a special
 * added token; with `bosFirst` the post-processor puts it before every sequence, otherwise there is
 * no post-processor.
 */
function withBosToken(bosId: number, bosFirst: boolean, parts: { pre_tokenizer: unknown; decoder: unknown; model: Record<string, unknown> }): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: bosId, content: BOS_TOKEN, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: parts.pre_tokenizer,
    post_processor: bosFirst
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: BOS_TOKEN, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [{ SpecialToken: { id: BOS_TOKEN, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { [BOS_TOKEN]: { id: BOS_TOKEN, ids: [bosId], tokens: [BOS_TOKEN] } },
        }
      : null,
    decoder: parts.decoder,
    model: parts.model,
  };
}

export function tokenizerConfigJson({ bosFirst = true }: BosFirstOption = {}): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: BOS_TOKEN,
    eos_token: BOS_TOKEN,
    unk_token: BOS_TOKEN,
    add_bos_token: bosFirst,
    model_max_length: 64,
    clean_up_tokenization_spaces: false,
  };
}

/**
 * GPT-2's byte-to-unicode table (`bytes_to_unicode` in openai/gpt-2 encoder.py): printable bytes
 * ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, the other 68 become U+0100.. in byte order,
 * so every byte has a visible, non-whitespace character. Index = byte value.
 */
export function byteToUnicode(): string[] {
  const chars: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars.push(String.fromCodePoint(printable ? b : next++));
  }
  return chars;
}

/**
 * A byte-level `tokenizer.json`: a BPE model with no merges over GPT-2's byte alphabet, so token
 * id = byte value (0..255) and any text encodes to exactly its UTF-8 bytes; `<bos>` = 256 is
 * prepended by the post-processor (the model is trained with BOS first). ByteLevel pre-tokenizer
 * without prefix space or GPT-2's split regex: the bytes are not regrouped.
 */
export function byteLevelTokenizerJson(bosId = 256, { bosFirst = true }: BosFirstOption = {}): Record<string, unknown> {
  if (bosId !== 256) throw new Error(`byteLevelTokenizerJson: BOS id ${bosId} must follow the 256 byte ids`);
  const vocab: Record<string, number> = {};
  byteToUnicode().forEach((ch, byte) => (vocab[ch] = byte));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  return withBosToken(bosId, bosFirst, {
    pre_tokenizer: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  });
}

/** `tokenizer_config.json` of the byte-level tokenizer (bos = eos = `<bos>`; every byte is known, so no unk). */
export function byteLevelTokenizerConfigJson(modelMaxLength: number, { bosFirst = true }: BosFirstOption = {}): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: BOS_TOKEN,
    eos_token: BOS_TOKEN,
    add_bos_token: bosFirst,
    model_max_length: modelMaxLength,
    clean_up_tokenization_spaces: false,
  };
}
