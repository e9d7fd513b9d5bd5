// Property-based: a tokenizer.json (or tokenizer_config.json) with junk at any field, unknown
// component types, or no valid JSON at all either still loads and encodes, or ends in one
// user-facing line naming the file and the field; never a TypeError from deep inside the library.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/index.js';
import { expectUserFacingError, fuzzParameters, TINY_TOKENIZER_CONFIG, tinyTokenizerJson, writeTinyCheckpoint } from './tiny-checkpoint.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-fuzz-tok-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** Every path in a JSON document (objects' keys and arrays' indices), the root excluded. */
function paths(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

function withValue(doc: Json, path: Path, value: Json | undefined): Json {
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let node = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return copy as Json;
}

const junk: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -3, max: 100 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(fc.oneof(fc.integer({ min: -2, max: 40 }), fc.string({ maxLength: 3 })), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('type', 'id', 'content', 'pattern', 'vocab', 'A', 'x'), fc.oneof(fc.integer({ min: -2, max: 40 }), fc.string({ maxLength: 4 }), fc.constant(null)), { maxKeys: 3 }),
);

/** Component types of the Rust `tokenizers` (some the JS port lacks), with no or wrong parameters. */
const COMPONENT_TYPES = ['Lowercase', 'NFC', 'NFKC', 'Strip', 'Replace', 'Prepend', 'Sequence', 'BertNormalizer', 'Precompiled', 'ByteLevel', 'Metaspace', 'Split', 'Whitespace', 'WhitespaceSplit', 'Digits', 'Punctuation', 'BertPreTokenizer', 'TemplateProcessing', 'RobertaProcessing', 'BertProcessing', 'WordPiece', 'BPEDecoder', 'CTC', 'Fuse', 'ByteFallback', 'Unknown', ''];

interface Case {
  file: 'tokenizer.json' | 'tokenizer_config.json';
  text: string;
  label: string;
  mayBeValid: boolean;
}
type TokenizerMutation = (tokenizer: Json, config: Json) => Case;

const mutation: fc.Arbitrary<TokenizerMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.nat(), fc.option(junk, { nil: undefined })).map<TokenizerMutation>(([i, value]) => (tok) => {
    const all = paths(tok);
    const path = all[i % all.length];
    return { file: 'tokenizer.json', text: JSON.stringify(withValue(tok, path, value)), label: `tokenizer.json ${path.join('.')} = ${value === undefined ? '(removed)' : JSON.stringify(value)}`, mayBeValid: true };
  }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'model'), fc.constantFrom(...COMPONENT_TYPES), fc.option(junk, { nil: undefined })).map<TokenizerMutation>(([component, type, extra]) => (tok) => {
    const value = { type, ...(extra !== undefined && extra !== null && typeof extra === 'object' && !Array.isArray(extra) ? extra : {}) } as Json;
    return { file: 'tokenizer.json', text: JSON.stringify(withValue(tok, [component], value)), label: `tokenizer.json ${component} = ${JSON.stringify(value)}`, mayBeValid: true };
  }) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.option(junk, { nil: undefined })).map<TokenizerMutation>(([i, value]) => (tok, config) => {
    const all = paths(config);
    const path = all[i % all.length];
    return { file: 'tokenizer_config.json', text: JSON.stringify(withValue(config, path, value)), label: `tokenizer_config.json ${path.join('.')} = ${value === undefined ? '(removed)' : JSON.stringify(value)}`, mayBeValid: true };
  }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom<Case['file']>('tokenizer.json', 'tokenizer_config.json'), fc.oneof(
    fc.double({ min: 0, max: 0.999, noNaN: true }).map((f) => ({ truncateAt: f })),
    fc.string({ maxLength: 30 }).map((text) => ({ text })),
    junk.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((value) => ({ value })),
  )).map<TokenizerMutation>(([file, m]) => (tok, config) => {
    const full = JSON.stringify(file === 'tokenizer.json' ? tok : config);
    const text = 'truncateAt' in m ? full.slice(0, Math.floor(m.truncateAt * full.length)) : 'text' in m ? m.text : JSON.stringify(m.value);
    return { file, text, label: `${file} = ${JSON.stringify(text.slice(0, 40))}`, mayBeValid: false };
  }) },
);

describe('fuzzed tokenizer files', () => {
  const dir = writeTinyCheckpoint(join(tmp, 'tok'), 'gpt2');
  const tokenizer = tinyTokenizerJson() as Json;
  const config = TINY_TOKENIZER_CONFIG as Json;
  const restore = () => {
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  };

  it('every broken tokenizer file loads and encodes, or is one line naming the file and the field', async () => {
    let failures = 0;
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const c = m(tokenizer, config);
        restore();
        writeFileSync(join(dir, c.file), c.text);
        let error: unknown;
        try {
          const t = await loadTokenizer(dir);
          for (const policy of ['auto', 'always', 'never'] as const) t.decode(t.encode('t1 T2 t30 <bos> what', { bosPolicy: policy }).ids);
          t.describe();
        } catch (err) {
          error = err;
        }
        if (error === undefined) {
          expect(c.mayBeValid, `${c.label}: loaded without an error`).toBe(true);
          valid += 1;
          return;
        }
        failures += 1;
        expectUserFacingError(error, join(dir, c.file), ["field '", 'JSON'], c.label);
      }),
      fuzzParameters(1000, 20),
    );
    restore();
    expect(failures).toBeGreaterThan(200);
    console.log(`tokenizer fuzz: ${failures} errors, ${valid} files that still load`);
  });
});

describe('what the fuzzer found (fixed): tokenizers that loaded and tokenized wrongly, or failed deep inside', () => {
  const dir = writeTinyCheckpoint(join(tmp, 'examples'), 'gpt2');
  const file = join(dir, 'tokenizer.json');
  const load = (patch: Record<string, unknown>) => {
    writeFileSync(file, JSON.stringify({ ...(tinyTokenizerJson() as Record<string, unknown>), ...patch }));
    return loadTokenizer(dir);
  };

  it.each([
    [{ pre_tokenizer: { type: 'Split' } }, `field 'pre_tokenizer.pattern': Split needs {"String": ...} or {"Regex": ...}, got undefined`], // the JS library dropped the text
    [{ pre_tokenizer: { type: 'Sequence' } }, "field 'pre_tokenizer.pretokenizers': Sequence needs a list, got undefined"],
    [{ normalizer: { type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { String: 'a' } }] } }, "field 'normalizer.normalizers[0].content': Replace needs a string, got undefined"],
    [{ decoder: { type: 'NoSuchDecoder' } }, "field 'decoder': cannot be loaded by @huggingface/tokenizers (Unknown Decoder type: NoSuchDecoder)"],
    [{ post_processor: { single: [] } }, "field 'post_processor': cannot be loaded by @huggingface/tokenizers (Unknown PostProcessor type: undefined)"],
    [{ model: { ...(tinyTokenizerJson().model as object), unk_token: '<unk>' } }, `field 'model.unk_token': "<unk>" is not in model.vocab`],
    [{ model: { ...(tinyTokenizerJson().model as object), vocab: { t0: 0, t1: null } } }, "field 'model.vocab.t1': expected a non-negative integer id, got null"],
  ])('%j', async (patch, message) => {
    await expect(load(patch)).rejects.toThrow(`${file}: ${message}`);
  });
});
