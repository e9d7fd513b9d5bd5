import type { Tokenizer } from '@huggingface/tokenizers';
import { basename, join } from 'node:path';
import { buildHfTokenizer } from './build-hf.js';
import type { JsonObject, TokenizerFiles } from './checkpoint-files.js';
import { GENERATION_CONFIG_FILE, MODEL_CONFIG_FILE, SPECIAL_TOKENS_MAP_FILE, TOKENIZER_CONFIG_FILE } from './checkpoint-files.js';
import { TokenizerError } from './errors.js';
import type { FastTokenizerClass } from './fast-tokenizer-classes.js';
import { resolveTokenizerClass } from './fast-tokenizer-classes.js';
import { rebuiltTemplate, specialTokensAround } from './post-processor.js';
import type { ResolvedSpecialToken } from './special-tokens.js';
import { resolveSpecialToken } from './special-tokens.js';
import type { TokenizerModelType } from './tokenizer-json.js';
import { normaliseTokenizerJson, vocabularyOf } from './tokenizer-json.js';

/** Everything CheckpointTokenizer needs, resolved once at load. */
export interface ResolvedTokenizer {
  readonly hf: Tokenizer;
  readonly label: string;
  readonly tokenizerFile: string;
  readonly modelType: TokenizerModelType;
  readonly tokenizerClass: FastTokenizerClass;
  readonly bos: ResolvedSpecialToken;
  readonly eos: ResolvedSpecialToken;
  readonly autoPrefix: readonly number[];
  readonly autoSuffix: readonly number[];
  readonly autoRule: string;
  readonly cleanUpTokenizationSpaces: boolean;
  readonly missingBosMessage: string;
  readonly warnings: readonly string[];
}

function optionalBool(config: JsonObject | undefined, field: string, file: string): boolean | undefined {
  const value = config?.[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new TokenizerError(file, field, `expected true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Apply transformers' class rules to tokenizer.json, build the JS tokenizer, resolve BOS/EOS. */
export function resolveTokenizer(files: TokenizerFiles): ResolvedTokenizer {
  const tokenizerFile = files.tokenizer.path;
  const configFile = files.tokenizerConfig?.path ?? join(files.dir, TOKENIZER_CONFIG_FILE);
  const tokenizerConfig = files.tokenizerConfig?.json ?? {};
  const warnings: string[] = [];
  const { json: normalised, modelType } = normaliseTokenizerJson(files.tokenizer.json, tokenizerFile);
  const resolvedClass = resolveTokenizerClass(tokenizerConfig.tokenizer_class, files.modelConfig?.json.model_type);
  const tokenizerClass = resolvedClass.tokenizerClass;
  if (resolvedClass.unknownClassName) {
    warnings.push(`${resolvedClass.chosenBy} is not modelled; tokenizer.json's post-processor is used as written (PreTrainedTokenizerFast)`);
  }

  const json: JsonObject = { ...normalised };
  let autoRule = `tokenizer.json post_processor ${describePostProcessor(json.post_processor)}`;

  // GPT2/GPTNeoX/CodeGen __init__: the pre-tokenizer's add_prefix_space follows tokenizer_config (default false).
  const addPrefixSpace = optionalBool(tokenizerConfig, 'add_prefix_space', configFile);
  const pre = json.pre_tokenizer as JsonObject | null;
  if (tokenizerClass.syncsAddPrefixSpace && pre && 'add_prefix_space' in pre && pre.add_prefix_space !== (addPrefixSpace ?? false)) {
    json.pre_tokenizer = { ...pre, add_prefix_space: addPrefixSpace ?? false };
  }
  if (tokenizerClass.rebuildsPostProcessor && addPrefixSpace !== undefined && tokenizerClass.name !== 'GPTNeoXTokenizerFast') {
    warnings.push(`${basename(configFile)} add_prefix_space makes ${tokenizerClass.name} re-convert from the slow (sentencepiece) tokenizer, which is not reproduced; tokenizer.json is used as written`);
  }

  // The JS library's WordLevel path takes its unknown token from the config, Rust from the model.
  const hfConfig: JsonObject = { ...tokenizerConfig };
  const model = json.model as JsonObject;
  if (modelType === 'WordLevel' && typeof model.unk_token === 'string') hfConfig.unk_token = model.unk_token;

  // Resolve BOS/EOS against the vocabulary (special tokens do not depend on the post-processor).
  const { tokenToId, idToToken } = vocabularyOf(json);
  const sources = { tokenizerConfig: files.tokenizerConfig, specialTokensMap: files.specialTokensMap, modelConfig: files.modelConfig, generationConfig: files.generationConfig };
  const bos = resolveSpecialToken('bos', sources, tokenizerClass, tokenToId, idToToken, warnings);
  const eos = resolveSpecialToken('eos', sources, tokenizerClass, tokenToId, idToToken, warnings);

  if (tokenizerClass.rebuildsPostProcessor) {
    const addBos = optionalBool(tokenizerConfig, 'add_bos_token', configFile) ?? tokenizerClass.rebuildsPostProcessor.addBosToken;
    const addEos = optionalBool(tokenizerConfig, 'add_eos_token', configFile) ?? tokenizerClass.rebuildsPostProcessor.addEosToken;
    // update_post_processor() uses the tokenizer-side token; a model-side id alone does not count.
    const tokenizerSide = (t: ResolvedSpecialToken) => (t.token !== null && t.id !== null && tokenToId(t.token) === t.id ? { token: t.token, id: t.id } : null);
    if (addBos && !tokenizerSide(bos)) throw new TokenizerError(configFile, 'add_bos_token', `is true but the tokenizer defines no BOS token in its vocabulary (${tokenizerClass.name} raises the same)`);
    if (addEos && !tokenizerSide(eos)) throw new TokenizerError(configFile, 'add_eos_token', `is true but the tokenizer defines no EOS token in its vocabulary (${tokenizerClass.name} raises the same)`);
    json.post_processor = rebuiltTemplate(addBos ? tokenizerSide(bos) : null, addEos ? tokenizerSide(eos) : null);
    autoRule = `${tokenizerClass.name} rebuilds the post-processor from add_bos_token=${addBos}, add_eos_token=${addEos}`;
  }
  const hf = buildHfTokenizer(json, hfConfig, tokenizerFile);

  const around = specialTokensAround(json.post_processor, tokenizerFile);
  const idOfTemplateToken = (token: string) => {
    const id = hf.token_to_id(token);
    if (id === undefined) throw new TokenizerError(tokenizerFile, 'post_processor', `adds the token ${JSON.stringify(token)}, which is not in the vocabulary`);
    return id;
  };

  const autoPrefix = around.prefix.map(idOfTemplateToken);
  const autoSuffix = around.suffix.map(idOfTemplateToken);
  if (!tokenizerClass.rebuildsPostProcessor) {
    // Only the rebuilding classes read add_bos_token / add_eos_token; say so when a setting has no effect.
    const effective = { add_bos_token: bos.id !== null && autoPrefix[0] === bos.id, add_eos_token: eos.id !== null && autoSuffix.at(-1) === eos.id };
    for (const field of ['add_bos_token', 'add_eos_token'] as const) {
      const setting = optionalBool(tokenizerConfig, field, configFile);
      if (setting !== undefined && setting !== effective[field]) {
        warnings.push(`${basename(configFile)} ${field}=${setting} is ignored by ${tokenizerClass.name} in transformers v4.44.2: ${autoRule} ${effective[field] ? 'adds' : 'does not add'} the ${field === 'add_bos_token' ? 'BOS' : 'EOS'}`);
      }
    }
  }

  const dir = files.dir;
  const missingBosMessage =
    `bosPolicy 'always' needs a BOS id, but the checkpoint defines none: checked ${join(dir, MODEL_CONFIG_FILE)} bos_token_id, ` +
    `${join(dir, GENERATION_CONFIG_FILE)} bos_token_id, ${join(dir, TOKENIZER_CONFIG_FILE)} bos_token, ${join(dir, SPECIAL_TOKENS_MAP_FILE)} bos_token` +
    `${tokenizerClass.defaultBosToken ? '' : ` and ${tokenizerClass.name} has no default`}`;

  const cleanUp = optionalBool(tokenizerConfig, 'clean_up_tokenization_spaces', configFile) ?? tokenizerClass.cleanUpTokenizationSpaces;
  return {
    hf,
    label: dir,
    tokenizerFile,
    modelType,
    tokenizerClass,
    bos,
    eos,
    autoPrefix,
    autoSuffix,
    autoRule,
    cleanUpTokenizationSpaces: cleanUp,
    missingBosMessage,
    warnings,
  };
}

function describePostProcessor(pp: unknown): string {
  if (pp === null || pp === undefined) return 'null';
  const type = (pp as JsonObject).type;
  return typeof type === 'string' ? type : JSON.stringify(type);
}
