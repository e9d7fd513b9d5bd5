// Property-based: a config.json with missing, wrong-typed or out-of-range fields (or no valid JSON at
// all) ends in one user-facing line naming config.json and the field (or, for a well-typed size
// that disagrees with the weights, the tensor whose shape it contradicts), before any weight is used.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpoint, loadAllWeights } from '../../src/index.js';
import { expectUserFacingError, fuzzParameters, loadError, TINY_CONFIGS, writeTinyCheckpoint } from './tiny-checkpoint.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-fuzz-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Sizes each family's forward pass is built from: any 0, negative, fractional or absurd value must fail. */
const SIZE_FIELDS: Record<string, string[]> = {
  gpt2: ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head', 'n_inner'],
  llama: ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'max_position_embeddings'],
  gpt_neox: ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'max_position_embeddings'],
  mixtral: ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'num_local_experts', 'num_experts_per_tok', 'sliding_window'],
  gemma3_text: ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'head_dim', 'sliding_window'],
  phi3: ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'max_position_embeddings', 'original_max_position_embeddings'],
  bloom: ['vocab_size', 'hidden_size', 'n_layer', 'n_head'],
};

const jsonValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -3, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null)), { maxKeys: 3 }),
);

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

interface Case {
  text: string;
  names: string[];
  label: string;
  mayBeValid: boolean;
}
type ConfigMutation = (config: Record<string, unknown>, family: string) => Case;

const mutation: fc.Arbitrary<ConfigMutation> = fc.oneof(
  // a field removed
  fc.nat().map<ConfigMutation>((i) => (config) => {
    const keys = Object.keys(config);
    const field = keys[i % keys.length];
    const { [field]: _removed, ...rest } = config;
    return { text: JSON.stringify(rest), names: [`field '${field}'`, "tensor '"], label: `without ${field}`, mayBeValid: true };
  }),
  // a field given a value of another JSON type (null counts as absent, as in transformers)
  fc.tuple(fc.nat(), jsonValue).map<ConfigMutation>(([i, value]) => (config) => {
    const keys = Object.keys(config);
    const field = keys[i % keys.length];
    const sameType = typeOf(value) === typeOf(config[field]) || (field.endsWith('token_id') && Array.isArray(value) && value.every(Number.isInteger)); // Llama 3 lists several EOS ids
    // a well-typed value may clash with another field, which the error then names (as below)
    return { text: JSON.stringify({ ...config, [field]: value }), names: [sameType ? "field '" : `field '${field}'`, "tensor '"], label: `${field} = ${JSON.stringify(value)}`, mayBeValid: sameType || value === null };
  }),
  // a size out of range: 0, negative, fractional, past 2^31, not a safe integer
  fc.tuple(fc.nat(), fc.constantFrom(0, -1, -64, 0.5, 7.25, 2 ** 31, 1e12, 2 ** 53 + 2, 1e300)).map<ConfigMutation>(([i, value]) => (config, family) => {
    const fields = SIZE_FIELDS[family];
    const field = fields[i % fields.length];
    return { text: JSON.stringify({ ...config, [field]: value }), names: [`field '${field}'`], label: `${field} = ${value}`, mayBeValid: false };
  }),
  // a size that is a valid number but disagrees with the weights or with another size
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 70 })).map<ConfigMutation>(([i, value]) => (config, family) => {
    const fields = SIZE_FIELDS[family];
    const field = fields[i % fields.length];
    // e.g. fewer positions than the table holds is fine for rotary models: such a case may load
    // (the conflict may be named at the field it clashes with: hidden_size 52 gives rotary_pct an odd width)
    return { text: JSON.stringify({ ...config, [field]: value }), names: ["field '", "tensor '"], label: `${field} = ${value}`, mayBeValid: true };
  }),
  // an unsupported model_type, activation or rope scaling
  fc.tuple(fc.constantFrom('model_type', 'activation_function', 'hidden_act', 'rope_scaling'), fc.oneof(fc.string({ maxLength: 10 }), jsonValue)).map<ConfigMutation>(([field, value]) => (config, family) => {
    // a field the family does not read may hold anything (gpt2 and bloom have no rope_scaling, llama no activation_function)
    const readByFamily = field === 'model_type' || field in config || (field === 'rope_scaling' && !['gpt2', 'bloom'].includes(family));
    // rope_scaling: an object without rope_type/type means plain RoPE (transformers' "default")
    const plainRope = field === 'rope_scaling' && typeOf(value) === 'object' && !['rope_type', 'type'].some((k) => k in (value as object));
    return {
      text: JSON.stringify({ ...config, [field]: value }),
      names: [`field '${field}'`],
      label: `${field} = ${JSON.stringify(value)}`,
      mayBeValid: value === null || !readByFamily || plainRope || JSON.stringify(value) === JSON.stringify(config[field]) || ['gelu', 'gelu_new', 'relu', 'silu', 'gelu_pytorch_tanh', 'swish', 'gelu_fast', 'quick_gelu'].includes(typeof value === 'string' ? value : ''),
    };
  }),
  // one entry inside a nested field (rope_scaling's parameters, layer_types' entries) given another value or removed
  fc.tuple(fc.nat(), fc.nat(), fc.option(jsonValue, { nil: undefined })).map<ConfigMutation>(([i, j, value]) => (config) => {
    const nested = Object.keys(config).filter((k) => typeOf(config[k]) === 'object' || typeOf(config[k]) === 'array');
    if (nested.length === 0) return { text: JSON.stringify(config), names: [], label: 'no nested field', mayBeValid: true };
    const field = nested[i % nested.length];
    const inner = config[field] as Record<string, unknown> | unknown[];
    const keys = Object.keys(inner);
    const key = keys[j % keys.length];
    const changed: Record<string, unknown> | unknown[] = Array.isArray(inner) ? [...inner] : { ...inner };
    if (value === undefined && !Array.isArray(changed)) delete changed[key];
    else (changed as Record<string, unknown>)[key] = value ?? null;
    // the error names the nested field (`rope_scaling.factor`, `layer_types[1]`) or the whole one
    return { text: JSON.stringify({ ...config, [field]: changed }), names: [`field '${field}`], label: `${field}.${key} = ${JSON.stringify(value)}`, mayBeValid: true };
  }),
  // not a JSON object at all: truncated text, random text, another JSON type
  fc.oneof(
    fc.double({ min: 0, max: 0.999, noNaN: true }).map((f) => ({ kind: 'truncated' as const, f })),
    fc.string({ maxLength: 40 }).map((s) => ({ kind: 'text' as const, s })),
    jsonValue.filter((v) => typeOf(v) !== 'object').map((v) => ({ kind: 'value' as const, v })),
  ).map<ConfigMutation>((m) => (config) => {
    const full = JSON.stringify(config, null, 2);
    const text = m.kind === 'truncated' ? full.slice(0, Math.floor(m.f * full.length)) : m.kind === 'text' ? m.s : JSON.stringify(m.v);
    let isObject = false;
    try {
      const v: unknown = JSON.parse(text);
      isObject = typeOf(v) === 'object';
    } catch {
      /* not JSON */
    }
    // a JSON object that is not the config still has to name a field (model_type first)
    return { text, names: isObject ? ["field '"] : ['config.json'], label: `config.json = ${JSON.stringify(text.slice(0, 30))}`, mayBeValid: false };
  }),
);

describe.each(Object.keys(TINY_CONFIGS))('fuzzed config.json (%s)', (family) => {
  const dir = writeTinyCheckpoint(join(tmp, family), family, { tokenizer: false });
  const configFile = join(dir, 'config.json');
  const config = TINY_CONFIGS[family];

  it('every broken config is one line naming config.json and the field', () => {
    let failures = 0;
    fc.assert(
      fc.property(mutation, (m) => {
        const c = m(config, family);
        writeFileSync(configFile, c.text);
        const error = loadError(dir);
        if (error === undefined) {
          expect(c.mayBeValid, `${c.label}: loaded without an error`).toBe(true);
          return;
        }
        failures += 1;
        // a shape mismatch names model.safetensors and the tensor, and says config.json implies it
        expectUserFacingError(error, (error as Error).message.includes("tensor '") ? 'config.json' : configFile, c.names, c.label);
      }),
      fuzzParameters(1000, 10 + Object.keys(TINY_CONFIGS).indexOf(family)),
    );
    writeFileSync(configFile, JSON.stringify(config));
    expect(failures).toBeGreaterThan(500);
    console.log(`config.json fuzz (${family}): ${failures} errors of 1000 cases`);
  });
});

describe('what the fuzzer found (fixed): sizes config.int let through', () => {
  const dir = writeTinyCheckpoint(join(tmp, 'examples'), 'gpt2', { tokenizer: false });
  const configFile = join(dir, 'config.json');
  const open = (patch: Record<string, unknown>) => {
    writeFileSync(configFile, JSON.stringify({ ...TINY_CONFIGS.gpt2, ...patch }));
    const ckpt = Checkpoint.open(dir);
    try {
      loadAllWeights(ckpt.family, ckpt.arch, ckpt);
    } finally {
      ckpt.close();
    }
  };

  it.each([
    [{ n_head: 0 }, "field 'n_head': must be a positive integer up to 2147483647, got 0"],
    [{ n_head: 2 ** 31 }, "field 'n_head': must be a positive integer up to 2147483647, got 2147483648"],
    [{ n_head: 3 }, "field 'n_embd': 8 is not divisible by the 3 attention heads (field 'n_head')"],
    [{ n_layer: 5 }, "field 'n_layer' says 5 layers, but"],
    [{ bos_token_id: 'zero' }, "field 'bos_token_id': expected a token id or a list of token ids, got \"zero\""],
  ])('%j', (patch, message) => {
    expect(() => open(patch)).toThrow(`${configFile}: ${message}`);
  });

  it('a layer count above what the weights hold names the field and the first missing tensor', () => {
    expect(() => open({ n_layer: 3 })).toThrow(`${configFile}: field 'n_layer' says 3 layers, but ${join(dir, 'model.safetensors')} hold weights for 2 (tensor 'transformer.h.2.attn.c_attn.weight' is missing)`);
  });
});
