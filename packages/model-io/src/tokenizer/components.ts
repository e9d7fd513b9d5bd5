import type { JsonObject } from './checkpoint-files.js';
import { TokenizerError } from './errors.js';

/**
 * Parameters the Rust `tokenizers` (what transformers loads) requires of a pipeline component, where
 * `@huggingface/tokenizers` would instead run without them and tokenize wrongly in silence (a Split
 * with no pattern drops the text; a Sequence with no list does nothing). Keyed by component kind, then
 * type; `pattern` is {"String": ...} or {"Regex": ...}.
 */
const REQUIRED: Record<string, Record<string, Record<string, 'string' | 'pattern' | 'list'>>> = {
  normalizer: {
    Sequence: { normalizers: 'list' },
    Replace: { pattern: 'pattern', content: 'string' },
    Prepend: { prepend: 'string' },
  },
  pre_tokenizer: {
    Sequence: { pretokenizers: 'list' },
    Split: { pattern: 'pattern', behavior: 'string' },
    Replace: { pattern: 'pattern', content: 'string' }, // not in the Rust library; the JS one has it
  },
  decoder: {
    Sequence: { decoders: 'list' },
    Replace: { pattern: 'pattern', content: 'string' },
  },
};

/** The list a Sequence of each kind holds its members in. */
const SEQUENCE_FIELD: Record<string, string> = { normalizer: 'normalizers', pre_tokenizer: 'pretokenizers', decoder: 'decoders' };

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkOne(kind: string, value: unknown, field: string, file: string): void {
  if (value === null || value === undefined) return;
  if (!isObject(value)) throw new TokenizerError(file, field, `expected an object with a "type", got ${JSON.stringify(value)}`);
  const required = REQUIRED[kind][value.type as string] ?? {};
  for (const [name, shape] of Object.entries(required)) {
    const v = value[name];
    const ok =
      shape === 'list'
        ? Array.isArray(v)
        : shape === 'string'
          ? typeof v === 'string'
          : isObject(v) && Object.keys(v).length === 1 && (typeof v.String === 'string' || typeof v.Regex === 'string');
    if (!ok) {
      const want = shape === 'list' ? 'a list' : shape === 'string' ? 'a string' : '{"String": ...} or {"Regex": ...}';
      throw new TokenizerError(file, `${field}.${name}`, `${String(value.type)} needs ${want}, got ${JSON.stringify(v)}`);
    }
  }
  if (value.type === 'Sequence') {
    const list = SEQUENCE_FIELD[kind];
    (value[list] as unknown[]).forEach((member, i) => checkOne(kind, member, `${field}.${list}[${i}]`, file));
  }
}

/** Check the normalizer, pre-tokenizer and decoder of a tokenizer.json (the post-processor is read in post-processor.ts). */
export function checkComponents(json: JsonObject, file: string): void {
  for (const kind of Object.keys(REQUIRED)) checkOne(kind, json[kind], kind, file);
}
