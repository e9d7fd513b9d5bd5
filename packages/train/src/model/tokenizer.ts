/**
 * A WordLevel `tokenizer.json` (Hugging Face tokenizers format) for a symbolic vocabulary:
 * ordinary ids 0..n-1 are the words `t0`..`t{n-1}`, split on whitespace; BOS is the special
 * token `<bos>`. `tokenizer_config.json` names it as bos/eos (GPT-2 convention bos = eos). The
 * model is trained with BOS at position 0 of every sequence, so the post-processor prepends it: the
 * `auto` BOS policy then reads text the way the model was trained.
 */
export function symbolName(id: number): string {
  return `t${id}`;
}

export const BOS_TOKEN = '<bos>';

export function wordLevelTokenizerJson(numOrdinary: number, bosId: number): Record<string, unknown> {
  if (bosId !== numOrdinary) throw new Error(`wordLevelTokenizerJson: BOS id ${bosId} must follow the ${numOrdinary} ordinary ids`);
  const vocab: Record<string, number> = {};
  for (let id = 0; id < numOrdinary; id++) vocab[symbolName(id)] = id;
  vocab[BOS_TOKEN] = bosId;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: bosId, content: BOS_TOKEN, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: BOS_TOKEN, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: BOS_TOKEN, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { [BOS_TOKEN]: { id: BOS_TOKEN, ids: [bosId], tokens: [BOS_TOKEN] } },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: BOS_TOKEN },
  };
}

export function tokenizerConfigJson(): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: BOS_TOKEN,
    eos_token: BOS_TOKEN,
    unk_token: BOS_TOKEN,
    add_bos_token: true,
    model_max_length: 64,
    clean_up_tokenization_spaces: false,
  };
}
