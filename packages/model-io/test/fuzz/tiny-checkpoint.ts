// Tiny valid checkpoints (a few KB: d = 8, 2 layers, 32 tokens) for the fuzz tests, built from each
// family adapter's own list of the tensors it reads, with a WordLevel tokenizer.json; and the checks
// every bad-input case must pass: a user-facing, one-line error naming the file and the field.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type fc from 'fast-check';
import { expect } from 'vitest';
import { Checkpoint, ConfigReader, familyFor, loadAllWeights, writeSafetensors, type HostArray, type WeightReader } from '../../src/index.js';

export const TINY_VOCAB = 32;
export const TINY_BOS = TINY_VOCAB - 1;

/** The sizes the tiny Llama-layout configs share (GQA: 2 query heads on 1 key/value head). */
const TINY_DECODER = { vocab_size: TINY_VOCAB, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1 };

/** One tiny config per family layout the fuzzers mutate. */
export const TINY_CONFIGS: Record<string, Record<string, unknown>> = {
  gpt2: { model_type: 'gpt2', vocab_size: TINY_VOCAB, n_positions: 16, n_embd: 8, n_layer: 2, n_head: 2, n_inner: 16, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, bos_token_id: TINY_BOS, eos_token_id: TINY_BOS },
  llama: {
    model_type: 'llama',
    vocab_size: TINY_VOCAB,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 16,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    bos_token_id: TINY_BOS,
    eos_token_id: TINY_BOS,
  },
  // the new families' features: rope_scaling types, layer_types, soft-caps, experts, ALiBi
  mixtral: {
    model_type: 'mixtral',
    ...TINY_DECODER,
    num_local_experts: 3,
    num_experts_per_tok: 2,
    max_position_embeddings: 16,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 },
    sliding_window: 6,
    hidden_act: 'silu',
    bos_token_id: TINY_BOS,
    eos_token_id: TINY_BOS,
  },
  gemma3_text: {
    model_type: 'gemma3_text',
    ...TINY_DECODER,
    head_dim: 4,
    max_position_embeddings: 16,
    rms_norm_eps: 1e-6,
    rope_theta: 1e6,
    rope_local_base_freq: 10000,
    rope_scaling: { rope_type: 'linear', factor: 2 },
    layer_types: ['sliding_attention', 'full_attention'],
    sliding_window: 4,
    query_pre_attn_scalar: 4,
    attn_logit_softcapping: 50,
    final_logit_softcapping: 30,
    hidden_activation: 'gelu_pytorch_tanh',
    bos_token_id: TINY_BOS,
    eos_token_id: TINY_BOS,
  },
  phi3: {
    model_type: 'phi3',
    ...TINY_DECODER,
    max_position_embeddings: 32,
    original_max_position_embeddings: 16,
    partial_rotary_factor: 1,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_scaling: { type: 'longrope', short_factor: [1, 1.5], long_factor: [2, 4] },
    hidden_act: 'silu',
    bos_token_id: TINY_BOS,
    eos_token_id: TINY_BOS,
  },
  bloom: { model_type: 'bloom', vocab_size: TINY_VOCAB, hidden_size: 8, n_layer: 2, n_head: 2, layer_norm_epsilon: 1e-5, bos_token_id: TINY_BOS, eos_token_id: TINY_BOS },
  gpt_neox: {
    model_type: 'gpt_neox',
    vocab_size: TINY_VOCAB,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    max_position_embeddings: 16,
    rotary_pct: 0.5,
    rotary_emb_base: 10000,
    layer_norm_eps: 1e-5,
    use_parallel_residual: true,
    hidden_act: 'gelu',
    bos_token_id: TINY_BOS,
    eos_token_id: TINY_BOS,
  },
};

/** The tensors (name, stored shape) the family adapter reads for this config, in reading order. */
export function tensorsRead(config: Record<string, unknown>): { name: string; shape: number[] }[] {
  const reader = new ConfigReader('config.json', config);
  const family = familyFor(reader.string('model_type'), 'config.json');
  const arch = family.archFromConfig(reader);
  const seen = new Map<string, number[]>();
  const recorder: WeightReader = {
    has: () => true,
    read: (name, shape): HostArray => {
      if (!shape) throw new Error(`tensorsRead: ${name} read without a shape`);
      seen.set(name, [...shape]);
      return { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
    },
  };
  family.embeddings(arch, recorder);
  for (let l = 0; l < arch.nLayers; l++) family.layer(arch, recorder, l);
  family.head(arch, recorder);
  return [...seen].map(([name, shape]) => ({ name, shape }));
}

/** Deterministic small weights (norm gains near 1, everything else near 0). */
export function tinyWeights(config: Record<string, unknown>): { name: string; shape: number[]; data: Float32Array }[] {
  return tensorsRead(config).map(({ name, shape }, t) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const isGain = /(norm|ln_?\w*|layernorm)\.weight$/.test(name) && shape.length === 1;
    return { name, shape, data: Float32Array.from({ length: n }, (_, i) => (isGain ? 1 : 0) + 0.05 * Math.sin(1 + i * 0.37 + t * 1.3)) };
  });
}

/** tokenizer.json of the tiny models: WordLevel over "t0".."t30" split on whitespace, "<bos>" prepended. */
export function tinyTokenizerJson(): Record<string, unknown> {
  const vocab = Object.fromEntries(Array.from({ length: TINY_VOCAB - 1 }, (_, i) => [`t${i}`, i]));
  vocab['<bos>'] = TINY_BOS;
  const bos = { SpecialToken: { id: '<bos>', type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: TINY_BOS, content: '<bos>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [bos, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [bos, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<bos>': { id: '<bos>', ids: [TINY_BOS], tokens: ['<bos>'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordLevel', vocab, unk_token: '<bos>' },
  };
}

export const TINY_TOKENIZER_CONFIG = { tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<bos>', eos_token: '<bos>', unk_token: '<bos>', add_bos_token: true, clean_up_tokenization_spaces: false };

/** Write a tiny checkpoint folder: config.json, model.safetensors, tokenizer files. */
export function writeTinyCheckpoint(dir: string, family: keyof typeof TINY_CONFIGS | string, options: { tokenizer?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
  const config = TINY_CONFIGS[family];
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeSafetensors(join(dir, 'model.safetensors'), tinyWeights(config));
  if (options.tokenizer ?? true) {
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(TINY_TOKENIZER_CONFIG));
  }
  return dir;
}

/** Errors sinkscope's CLI treats as its own bugs (printed with a stack trace). */
const BUG_ERRORS = ['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError', 'AssertionError'];

/**
 * What every bad-input case must end in: an Error the CLI prints as one line (not a TypeError or
 * RangeError, which it treats as a bug and prints with its stack), whose message names `file` and one
 * of `names` (the field or tensor at fault).
 */
export function expectUserFacingError(err: unknown, file: string, names: readonly string[], label: string): void {
  expect(err, `${label}: no error`).toBeInstanceOf(Error);
  const e = err as Error;
  expect(BUG_ERRORS, `${label}: ${e.name} is a bug, not a message: ${e.message}\n${e.stack}`).not.toContain(e.name);
  expect(e.message, `${label}: more than one line`).not.toContain('\n');
  expect(e.message, `${label}: the file is not named`).toContain(file);
  expect(
    names.some((n) => e.message.includes(n)),
    `${label}: none of ${JSON.stringify(names)} is named in: ${e.message}`,
  ).toBe(true);
}

/** Cases per fuzz target (SINKSCOPE_FUZZ_RUNS overrides) and a fixed seed, so a run is reproducible (SINKSCOPE_FUZZ_SEED explores others). */
export function fuzzParameters(runs = 1000, salt = 0): fc.Parameters<unknown> {
  const seed = process.env.SINKSCOPE_FUZZ_SEED;
  return { numRuns: Number(process.env.SINKSCOPE_FUZZ_RUNS ?? runs), seed: (seed === undefined ? 0x5eed : Number(seed)) + salt, endOnFailure: true };
}

/** Opens the checkpoint in `dir` and reads every weight, as a pipeline would; the error thrown, if any. */
export function loadError(dir: string): unknown {
  let ckpt: Checkpoint | undefined;
  try {
    ckpt = Checkpoint.open(dir);
    loadAllWeights(ckpt.family, ckpt.arch, ckpt);
    return undefined;
  } catch (err) {
    return err;
  } finally {
    ckpt?.close();
  }
}
