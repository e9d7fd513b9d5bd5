import { Tokenizer } from '@huggingface/tokenizers';
import type { JsonObject } from './checkpoint-files.js';
import { TokenizerError } from './errors.js';

/** The pipeline components of a tokenizer.json, in the order they are blamed when the library fails. */
const COMPONENTS = ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const;

/** What every loaded tokenizer must survive: an encode with special tokens and a decode of the ids. */
function exercise(hf: Tokenizer): void {
  const encoding = hf.encode('Hello, world: 123 t1 T2 <bos>?', { add_special_tokens: true });
  const ids = encoding.ids.filter((id) => Number.isSafeInteger(id)); // pieces without an id (no unk_token) are the caller's error
  if (ids.length > 0) hf.decode(ids, { skip_special_tokens: false });
}

/**
 * Construct `@huggingface/tokenizers`' Tokenizer and exercise it once, so a malformed component fails
 * at load, not deep inside the first encode. The library's own errors name no field (often they are a
 * TypeError), so the failure is blamed on the first component whose removal (cumulatively, in
 * pipeline order) makes it work, then `added_tokens`, else `model`: the message names the file and
 * that field.
 */
export function buildHfTokenizer(json: JsonObject, config: JsonObject, file: string): Tokenizer {
  const attempt = (candidate: JsonObject): Tokenizer => {
    const hf = new Tokenizer(candidate, config);
    exercise(hf);
    return hf;
  };
  try {
    return attempt(json);
  } catch (error) {
    const detail = ((error as Error)?.message ?? String(error)).split('\n')[0];
    throw new TokenizerError(file, blame(json, attempt), `cannot be loaded by @huggingface/tokenizers (${detail})`);
  }
}

function blame(json: JsonObject, attempt: (candidate: JsonObject) => unknown): string {
  const works = (candidate: JsonObject) => {
    try {
      attempt(candidate);
      return true;
    } catch {
      return false;
    }
  };
  let candidate = json;
  for (const component of COMPONENTS) {
    if (candidate[component] === null || candidate[component] === undefined) continue;
    candidate = { ...candidate, [component]: null };
    if (works(candidate)) return component;
  }
  if (Array.isArray(json.added_tokens) && json.added_tokens.length > 0 && works({ ...candidate, added_tokens: [] })) return 'added_tokens';
  return 'model';
}
