import { basename } from 'node:path';
import { TokenizerError } from './errors.js';
import type { JsonFile } from './checkpoint-files.js';
import type { FastTokenizerClass } from './fast-tokenizer-classes.js';

export type SpecialTokenKind = 'bos' | 'eos';

/** One resolved special token: its id, its string, and where it came from. */
export interface ResolvedSpecialToken {
  readonly id: number | null;
  readonly token: string | null;
  /** e.g. "special_tokens_map.json bos_token", "config.json bos_token_id", "none". */
  readonly source: string;
}

/** The files that can define a special token; all optional. */
export interface SpecialTokenSources {
  readonly tokenizerConfig?: JsonFile;
  readonly specialTokensMap?: JsonFile;
  readonly modelConfig?: JsonFile;
  readonly generationConfig?: JsonFile;
}

/**
 * A token entry of tokenizer_config / special_tokens_map: a string, an AddedToken object
 * (`{"content": ...}`, possibly with `"__type": "AddedToken"`), or null (explicitly none).
 */
function tokenContent(value: unknown, file: JsonFile, field: string): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value) && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  throw new TokenizerError(file.path, field, `expected a token string or {"content": ...}, got ${JSON.stringify(value)}`);
}

/** An id field of config.json / generation_config.json: an id, a list of ids (the first is used), or null. */
function idField(file: JsonFile, field: string): number | null | undefined {
  if (!(field in file.json)) return undefined;
  const value = file.json[field];
  if (value === null) return null;
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first !== 'number' || !Number.isSafeInteger(first) || first < 0) {
    throw new TokenizerError(file.path, field, `expected a token id (or a list of ids), got ${JSON.stringify(value)}`);
  }
  return first;
}

/**
 * Resolve the BOS or EOS token of a checkpoint.
 *
 * Tokenizer side first, in transformers' precedence (special_tokens_map.json overrides
 * tokenizer_config.json, which overrides the class default; an explicit null means none): this is
 * the token the post-processor adds. When the tokenizer side defines none, the model side:
 * config.json `<kind>_token_id`, then generation_config.json. Disagreements become warnings.
 */
export function resolveSpecialToken(
  kind: SpecialTokenKind,
  sources: SpecialTokenSources,
  tokenizerClass: FastTokenizerClass,
  tokenToId: (token: string) => number | undefined,
  idToToken: (id: number) => string | undefined,
  warnings: string[],
): ResolvedSpecialToken {
  const tokenField = `${kind}_token`;
  const idFieldName = `${kind}_token_id`;

  let token: string | null = null;
  let tokenSource = '';
  for (const file of [sources.specialTokensMap, sources.tokenizerConfig]) {
    if (file && tokenField in file.json) {
      token = tokenContent(file.json[tokenField], file, tokenField);
      tokenSource = `${basename(file.path)} ${tokenField}`;
      break;
    }
  }
  const fromClassDefault = tokenSource === '';
  if (fromClassDefault) {
    token = kind === 'bos' ? tokenizerClass.defaultBosToken : tokenizerClass.defaultEosToken;
    tokenSource = `${tokenizerClass.name} default ${tokenField}`;
  }
  let tokenizerId: number | null = null;
  if (token !== null) {
    const id = tokenToId(token);
    // A class default missing from a custom vocabulary is normal; a token a file names is not.
    if (id === undefined && !fromClassDefault) warnings.push(`${tokenSource} '${token}' is not in the vocabulary; ignored`);
    if (id !== undefined) tokenizerId = id;
  }

  let modelId: number | null = null;
  let modelSource = '';
  for (const file of [sources.modelConfig, sources.generationConfig]) {
    const id = file ? idField(file, idFieldName) : undefined;
    if (id !== undefined && id !== null) {
      modelId = id;
      modelSource = `${basename(file!.path)} ${idFieldName}`;
      break;
    }
  }

  if (tokenizerId !== null) {
    if (modelId !== null && modelId !== tokenizerId) {
      warnings.push(`${tokenSource} '${token}' is id ${tokenizerId} but ${modelSource} is ${modelId}; using ${tokenizerId} (the id the tokenizer adds)`);
    }
    return { id: tokenizerId, token, source: tokenSource };
  }
  if (modelId !== null) return { id: modelId, token: idToToken(modelId) ?? null, source: modelSource };
  return { id: null, token: null, source: 'none' };
}
