import { readFile, stat } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TokenizerError } from './errors.js';

/** File names a Hugging Face checkpoint folder may hold for its tokenizer and special-token ids. */
export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const SPECIAL_TOKENS_MAP_FILE = 'special_tokens_map.json';
export const MODEL_CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';

export type JsonObject = Record<string, unknown>;

/** One parsed JSON file and the path it came from (for error messages). */
export interface JsonFile {
  readonly path: string;
  readonly json: JsonObject;
}

/** The tokenizer-related files of one checkpoint folder; optional files are absent when missing. */
export interface TokenizerFiles {
  readonly dir: string;
  readonly tokenizer: JsonFile;
  readonly tokenizerConfig?: JsonFile;
  readonly specialTokensMap?: JsonFile;
  readonly modelConfig?: JsonFile;
  readonly generationConfig?: JsonFile;
}

/** True when `dir` holds a `tokenizer.json` (callers without one can still work from token ids). */
export function hasTokenizer(dir: string): boolean {
  const path = join(dir, TOKENIZER_FILE);
  return existsSync(path) && statSync(path).isFile();
}

/** Parse JSON text that must be an object; errors name the file. */
export function parseJsonObject(text: string, path: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TokenizerError(path, undefined, `is not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TokenizerError(path, undefined, `must hold a JSON object, found ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  return value as JsonObject;
}

async function readOptional(dir: string, name: string): Promise<JsonFile | undefined> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenizerError(path, undefined, `cannot be read (${(error as Error).message})`);
  }
  return { path, json: parseJsonObject(text, path) };
}

/** Read `tokenizer.json` (required) and the optional companion files of a checkpoint folder. */
export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw new TokenizerError(dir, undefined, 'is not a checkpoint folder (no such directory)');
  const tokenizer = await readOptional(dir, TOKENIZER_FILE);
  if (!tokenizer) {
    const slowFiles = existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'));
    const hint = slowFiles
      ? ' It has vocab.json + merges.txt: convert them with `npx tsx packages/model-io/tools/gpt2-bpe-to-tokenizer-json.ts`.'
      : ' Work from token ids instead (check hasTokenizer(dir) first).';
    throw new TokenizerError(join(dir, TOKENIZER_FILE), undefined, `not found.${hint}`);
  }
  const [tokenizerConfig, specialTokensMap, modelConfig, generationConfig] = await Promise.all([
    readOptional(dir, TOKENIZER_CONFIG_FILE),
    readOptional(dir, SPECIAL_TOKENS_MAP_FILE),
    readOptional(dir, MODEL_CONFIG_FILE),
    readOptional(dir, GENERATION_CONFIG_FILE),
  ]);
  return { dir, tokenizer, tokenizerConfig, specialTokensMap, modelConfig, generationConfig };
}
