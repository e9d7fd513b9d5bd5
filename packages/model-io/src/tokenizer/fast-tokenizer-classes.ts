/**
 * What `transformers` v4.44.2 (the version the shared fixtures were made with) does on top of a
 * checkpoint's `tokenizer.json`, per fast tokenizer class. `AutoTokenizer` picks the class from
 * `tokenizer_config.json` `tokenizer_class` (with "Fast" appended), else from `config.json`
 * `model_type`; the class then decides what `encode(text)` (add_special_tokens=True) adds:
 *
 * - GPT2TokenizerFast (gpt2, opt, gpt_neo, gptj): the post-processor of tokenizer.json as written.
 *   GPT-2's is ByteLevel (adds nothing); OPT's is a TemplateProcessing that prepends `</s>` (id 2,
 *   OPT's BOS). `add_bos_token` in tokenizer_config is stored but never reaches the fast path.
 * - Qwen2TokenizerFast: as written (ByteLevel: adds nothing); its BOS token is None by default.
 * - CodeGenTokenizerFast (phi): as written (adds nothing).
 * - LlamaTokenizerFast (llama, mistral, mixtral, phi3), CodeLlamaTokenizerFast, GemmaTokenizerFast,
 *   CohereTokenizerFast: `update_post_processor()` in `__init__` REPLACES the post-processor with a
 *   TemplateProcessing built from `add_bos_token` (default true) and `add_eos_token` (default
 *   false): `[bos] $A [eos]`. So `add_bos_token: false` in tokenizer_config turns BOS off even when
 *   tokenizer.json's own template adds it.
 * - GPTNeoXTokenizerFast (gpt_neox / Pythia, stablelm, olmo): the same rebuild with both defaults
 *   false, so Pythia adds nothing unless tokenizer_config sets add_bos_token.
 * - PreTrainedTokenizerFast (the generic class, e.g. Llama 3) and unknown classes: as written;
 *   v4.44.2's base class ignores add_bos_token.
 *
 * GPT2/GPTNeoX/CodeGen also rewrite the ByteLevel pre-tokenizer's `add_prefix_space` to the
 * tokenizer_config value (default false) when they differ.
 */
export interface FastTokenizerClass {
  /** transformers class name, e.g. `LlamaTokenizerFast`. */
  readonly name: string;
  /** Defaults of `update_post_processor()`, or null when the class keeps tokenizer.json's post-processor. */
  readonly rebuildsPostProcessor: { readonly addBosToken: boolean; readonly addEosToken: boolean } | null;
  /** The class's `bos_token` default, used when neither special_tokens_map.json nor tokenizer_config.json names one. */
  readonly defaultBosToken: string | null;
  readonly defaultEosToken: string | null;
  /** The class's `clean_up_tokenization_spaces` default for decode (the v4.44.2 base default is true). */
  readonly cleanUpTokenizationSpaces: boolean;
  /** Whether `__init__` forces the pre-tokenizer's `add_prefix_space` to the tokenizer_config value. */
  readonly syncsAddPrefixSpace: boolean;
}

const ENDOFTEXT = '<|endoftext|>';

const CLASSES: readonly FastTokenizerClass[] = [
  { name: 'PreTrainedTokenizerFast', rebuildsPostProcessor: null, defaultBosToken: null, defaultEosToken: null, cleanUpTokenizationSpaces: true, syncsAddPrefixSpace: false },
  { name: 'GPT2TokenizerFast', rebuildsPostProcessor: null, defaultBosToken: ENDOFTEXT, defaultEosToken: ENDOFTEXT, cleanUpTokenizationSpaces: true, syncsAddPrefixSpace: true },
  { name: 'CodeGenTokenizerFast', rebuildsPostProcessor: null, defaultBosToken: ENDOFTEXT, defaultEosToken: ENDOFTEXT, cleanUpTokenizationSpaces: true, syncsAddPrefixSpace: true },
  { name: 'Qwen2TokenizerFast', rebuildsPostProcessor: null, defaultBosToken: null, defaultEosToken: ENDOFTEXT, cleanUpTokenizationSpaces: false, syncsAddPrefixSpace: false },
  {
    name: 'GPTNeoXTokenizerFast',
    rebuildsPostProcessor: { addBosToken: false, addEosToken: false },
    defaultBosToken: ENDOFTEXT,
    defaultEosToken: ENDOFTEXT,
    cleanUpTokenizationSpaces: true,
    syncsAddPrefixSpace: true,
  },
  { name: 'LlamaTokenizerFast', rebuildsPostProcessor: { addBosToken: true, addEosToken: false }, defaultBosToken: '<s>', defaultEosToken: '</s>', cleanUpTokenizationSpaces: false, syncsAddPrefixSpace: false },
  { name: 'CodeLlamaTokenizerFast', rebuildsPostProcessor: { addBosToken: true, addEosToken: false }, defaultBosToken: '<s>', defaultEosToken: '</s>', cleanUpTokenizationSpaces: false, syncsAddPrefixSpace: false },
  { name: 'GemmaTokenizerFast', rebuildsPostProcessor: { addBosToken: true, addEosToken: false }, defaultBosToken: '<bos>', defaultEosToken: '<eos>', cleanUpTokenizationSpaces: false, syncsAddPrefixSpace: false },
  {
    name: 'CohereTokenizerFast',
    rebuildsPostProcessor: { addBosToken: true, addEosToken: false },
    defaultBosToken: '<BOS_TOKEN>',
    defaultEosToken: '<|END_OF_TURN_TOKEN|>',
    cleanUpTokenizationSpaces: false,
    syncsAddPrefixSpace: false,
  },
];

const BY_NAME = new Map(CLASSES.map((c) => [c.name, c]));

/** `config.json` model_type -> fast class, as transformers' TOKENIZER_MAPPING (v4.44.2) for the families we study. */
const CLASS_OF_MODEL_TYPE: Readonly<Record<string, string>> = {
  gpt2: 'GPT2TokenizerFast',
  opt: 'GPT2TokenizerFast',
  gpt_neo: 'GPT2TokenizerFast',
  gptj: 'GPT2TokenizerFast',
  starcoder2: 'GPT2TokenizerFast',
  gpt_neox: 'GPTNeoXTokenizerFast',
  stablelm: 'GPTNeoXTokenizerFast',
  olmo: 'GPTNeoXTokenizerFast',
  llama: 'LlamaTokenizerFast',
  mistral: 'LlamaTokenizerFast',
  mixtral: 'LlamaTokenizerFast',
  phi3: 'LlamaTokenizerFast',
  qwen2: 'Qwen2TokenizerFast',
  qwen2_moe: 'Qwen2TokenizerFast',
  gemma: 'GemmaTokenizerFast',
  gemma2: 'GemmaTokenizerFast',
  cohere: 'CohereTokenizerFast',
  phi: 'CodeGenTokenizerFast',
  codegen: 'CodeGenTokenizerFast',
};

/** How the class was chosen, for describe() and error messages. */
export interface ResolvedTokenizerClass {
  readonly tokenizerClass: FastTokenizerClass;
  /** e.g. "tokenizer_config.json tokenizer_class 'LlamaTokenizer'". */
  readonly chosenBy: string;
  /** Set when the named class is not in the table above (treated as PreTrainedTokenizerFast). */
  readonly unknownClassName?: string;
}

/**
 * Pick the fast class the way AutoTokenizer does: tokenizer_config `tokenizer_class` (the slow name
 * maps to its Fast twin), else config.json `model_type`, else the generic PreTrainedTokenizerFast.
 */
export function resolveTokenizerClass(tokenizerClassField: unknown, modelType: unknown): ResolvedTokenizerClass {
  const generic = BY_NAME.get('PreTrainedTokenizerFast')!;
  if (typeof tokenizerClassField === 'string' && tokenizerClassField.length > 0) {
    const fastName = tokenizerClassField.endsWith('Fast') ? tokenizerClassField : `${tokenizerClassField}Fast`;
    const known = BY_NAME.get(fastName) ?? BY_NAME.get(tokenizerClassField);
    const chosenBy = `tokenizer_config.json tokenizer_class '${tokenizerClassField}'`;
    if (known) return { tokenizerClass: known, chosenBy };
    return { tokenizerClass: generic, chosenBy, unknownClassName: tokenizerClassField };
  }
  if (typeof modelType === 'string' && modelType in CLASS_OF_MODEL_TYPE) {
    return { tokenizerClass: BY_NAME.get(CLASS_OF_MODEL_TYPE[modelType])!, chosenBy: `config.json model_type '${modelType}'` };
  }
  const chosenBy = typeof modelType === 'string' ? `config.json model_type '${modelType}' (not in the table)` : 'no tokenizer_class or model_type';
  return { tokenizerClass: generic, chosenBy };
}

/** The fast classes whose behaviour is modelled, for documentation and tests. */
export function knownTokenizerClasses(): readonly FastTokenizerClass[] {
  return CLASSES;
}
