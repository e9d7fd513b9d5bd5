import { checkComponents } from './components.js';
import { TokenizerError } from './errors.js';
import type { JsonObject } from './checkpoint-files.js';

/** The four model kinds a tokenizer.json can hold. */
export const TOKENIZER_MODEL_TYPES = ['BPE', 'WordPiece', 'Unigram', 'WordLevel'] as const;
export type TokenizerModelType = (typeof TOKENIZER_MODEL_TYPES)[number];

/**
 * The model kind of a tokenizer.json `model` object: its `type`, or, when absent, inferred the way
 * the Rust `tokenizers` deserialiser does (a vocab list is Unigram, merges mean BPE, a
 * continuing_subword_prefix without merges means WordPiece, else WordLevel).
 */
export function tokenizerModelType(model: JsonObject, file: string): TokenizerModelType {
  const type = model.type;
  if (type !== undefined) {
    if (typeof type === 'string' && (TOKENIZER_MODEL_TYPES as readonly string[]).includes(type)) return type as TokenizerModelType;
    throw new TokenizerError(file, 'model.type', `${JSON.stringify(type)} is not one of ${TOKENIZER_MODEL_TYPES.join(', ')}`);
  }
  if (Array.isArray(model.vocab)) return 'Unigram';
  if ('merges' in model) return 'BPE';
  if ('continuing_subword_prefix' in model) return 'WordPiece';
  return 'WordLevel';
}

/** Every vocabulary entry: token -> non-negative integer id, or (Unigram) [piece, finite score]. */
function checkVocabEntries(vocab: unknown, modelType: TokenizerModelType, file: string): void {
  if (Array.isArray(vocab)) {
    vocab.forEach((entry: unknown, i) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number' || !Number.isFinite(entry[1])) {
        throw new TokenizerError(file, `model.vocab[${i}]`, `a ${modelType} entry is [piece, score], got ${JSON.stringify(entry)}`);
      }
    });
    return;
  }
  for (const [token, id] of Object.entries(vocab as JsonObject)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new TokenizerError(file, `model.vocab.${token}`, `expected a non-negative integer id, got ${JSON.stringify(id)}`);
  }
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Check the shape of a parsed tokenizer.json and return a shallow copy that the
 * `@huggingface/tokenizers` constructor accepts: pipeline components default to null,
 * `added_tokens` to [], and `model.type` is made explicit.
 */
export function normaliseTokenizerJson(json: JsonObject, file: string): { json: JsonObject; modelType: TokenizerModelType } {
  if (!isObject(json.model)) throw new TokenizerError(file, 'model', `is required and must be an object, got ${JSON.stringify(json.model)}`);
  const modelType = tokenizerModelType(json.model, file);
  const vocab = json.model.vocab;
  if (modelType === 'Unigram' ? !Array.isArray(vocab) : !isObject(vocab)) {
    throw new TokenizerError(file, 'model.vocab', `a ${modelType} model needs ${modelType === 'Unigram' ? 'a list of [piece, score]' : 'an object token -> id'}`);
  }
  if (modelType === 'BPE' && !Array.isArray(json.model.merges)) throw new TokenizerError(file, 'model.merges', 'a BPE model needs a list of merges');
  checkVocabEntries(vocab, modelType, file);
  const unk = json.model.unk_token;
  if (typeof unk === 'string' && isObject(vocab) && !Object.hasOwn(vocab, unk)) {
    // the Rust library fails on the first unknown piece ("Missing unk token from the vocabulary")
    throw new TokenizerError(file, 'model.unk_token', `${JSON.stringify(unk)} is not in model.vocab`);
  }

  checkComponents(json, file);
  const addedTokens = json.added_tokens ?? [];
  if (!Array.isArray(addedTokens)) throw new TokenizerError(file, 'added_tokens', 'must be a list');
  addedTokens.forEach((token: unknown, i) => {
    if (!isObject(token) || typeof token.content !== 'string' || !Number.isSafeInteger(token.id) || (token.id as number) < 0) {
      throw new TokenizerError(file, `added_tokens[${i}]`, `needs a string 'content' and a non-negative integer 'id', got ${JSON.stringify(token)}`);
    }
  });
  return {
    modelType,
    json: {
      ...json,
      added_tokens: addedTokens,
      normalizer: json.normalizer ?? null,
      pre_tokenizer: json.pre_tokenizer ?? null,
      post_processor: json.post_processor ?? null,
      decoder: json.decoder ?? null,
      model: { ...json.model, type: modelType },
    },
  };
}

/** Token <-> id lookups read straight from tokenizer.json (model vocab plus added tokens). */
export interface Vocabulary {
  readonly tokenToId: (token: string) => number | undefined;
  readonly idToToken: (id: number) => string | undefined;
}

/** Build the lookups of a normalised tokenizer.json without constructing a tokenizer. */
export function vocabularyOf(json: JsonObject): Vocabulary {
  const model = json.model as JsonObject;
  const byToken = new Map<string, number>();
  if (Array.isArray(model.vocab)) (model.vocab as [string, number][]).forEach(([piece], id) => byToken.set(piece, id));
  else for (const [token, id] of Object.entries(model.vocab as Record<string, number>)) byToken.set(token, id);
  for (const added of json.added_tokens as { id: number; content: string }[]) byToken.set(added.content, added.id);
  const byId = new Map<number, string>();
  for (const [token, id] of byToken) byId.set(id, token);
  return { tokenToId: (token) => byToken.get(token), idToToken: (id) => byId.get(id) };
}
