export { BOS_POLICIES, isBosPolicy, parseBosPolicy } from './bos-policy.js';
export type { BosPolicy } from './bos-policy.js';
export { CheckpointTokenizer } from './checkpoint-tokenizer.js';
export type { DecodeOptions, EncodedText, EncodeOptions } from './checkpoint-tokenizer.js';
export {
  GENERATION_CONFIG_FILE,
  MODEL_CONFIG_FILE,
  SPECIAL_TOKENS_MAP_FILE,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_FILE,
  hasTokenizer,
  readTokenizerFiles,
} from './checkpoint-files.js';
export type { JsonFile, JsonObject, TokenizerFiles } from './checkpoint-files.js';
export { TokenizerError } from './errors.js';
export { knownTokenizerClasses, resolveTokenizerClass } from './fast-tokenizer-classes.js';
export type { FastTokenizerClass, ResolvedTokenizerClass } from './fast-tokenizer-classes.js';
export { loadTokenizer } from './load.js';
export { TOKENIZER_MODEL_TYPES } from './tokenizer-json.js';
export type { TokenizerModelType } from './tokenizer-json.js';
