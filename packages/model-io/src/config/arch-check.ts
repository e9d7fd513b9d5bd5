import type { ArchSpec } from '../arch-spec.js';
import { ConfigError, type ConfigReader } from './config-reader.js';

/**
 * The config.json fields each ArchSpec size comes from, across the families (transformers' names:
 * GPT2Config, LlamaConfig, GPTNeoXConfig, OPTConfig, PhiConfig...). The first one a config holds is
 * the one an error names.
 */
const FIELDS = {
  nLayers: ['n_layer', 'num_hidden_layers'],
  dModel: ['n_embd', 'hidden_size'],
  nHeads: ['n_head', 'num_attention_heads'],
  nKvHeads: ['num_key_value_heads', 'n_head', 'num_attention_heads'],
  headDim: ['head_dim', 'n_embd', 'hidden_size'],
  dMlp: ['n_inner', 'intermediate_size', 'ffn_dim'],
  vocabSize: ['vocab_size'],
  maxPositions: ['n_positions', 'max_position_embeddings'],
  rotaryDim: ['head_dim', 'hidden_size'],
  eps: ['layer_norm_epsilon', 'layer_norm_eps', 'rms_norm_eps'],
  slidingWindow: ['sliding_window'],
} as const;

export type ArchField = keyof typeof FIELDS;

/** The config.json field an ArchSpec property was read from (for error messages). */
export function configFieldFor(config: ConfigReader, property: ArchField): string {
  return FIELDS[property].find((f) => config.has(f)) ?? FIELDS[property][0];
}

/** Largest size accepted: token ids and element counts are int32 in the engines. */
export const MAX_SIZE = 2 ** 31 - 1;

/**
 * The sizes alone: positive int32 integers, heads dividing the width (or an explicit head_dim), kv heads
 * dividing the heads. Family adapters run it as soon as the sizes are read (arch-defaults.ts
 * `archSizes`), so a bad size is named before anything derived from it (a rotary width, a per-layer
 * list) can fail in its place.
 */
export function checkSizes(arch: Pick<ArchSpec, 'nLayers' | 'dModel' | 'nHeads' | 'nKvHeads' | 'headDim' | 'dMlp' | 'vocabSize' | 'maxPositions'>, config: ConfigReader): void {
  const fail = (property: ArchField, detail: string): never => {
    throw new ConfigError(config.file, configFieldFor(config, property), detail);
  };
  for (const property of ['nLayers', 'dModel', 'nHeads', 'nKvHeads', 'dMlp', 'vocabSize', 'maxPositions'] as const) {
    const v = arch[property];
    if (!Number.isSafeInteger(v) || v < 1 || v > MAX_SIZE) fail(property, `must be a positive integer up to ${MAX_SIZE}, got ${v}`);
  }
  if (!Number.isSafeInteger(arch.headDim) || arch.headDim < 1 || arch.headDim > MAX_SIZE) {
    if (config.has('head_dim')) fail('headDim', `must be a positive integer up to ${MAX_SIZE}, got ${arch.headDim}`);
    fail('dModel', `${arch.dModel} is not divisible by the ${arch.nHeads} attention heads (field '${configFieldFor(config, 'nHeads')}')`);
  }
  if (arch.nHeads % arch.nKvHeads !== 0) fail('nKvHeads', `${arch.nKvHeads} key/value heads do not divide the ${arch.nHeads} attention heads`);
}

/**
 * Check what a family adapter derived from config.json before anything is allocated: every size a
 * positive integer in int32 range, heads dividing the width, kv heads dividing the heads, a rotary
 * width that rotate_half can split. A bad value is a ConfigError naming config.json and the field
 * (config.int only checks that a size is a non-negative integer; 0, 2^40 or 64 / 3 heads would
 * otherwise surface later as NaN, a shape error or an allocation failure).
 */
export function checkArch(arch: ArchSpec, config: ConfigReader): void {
  const fail = (property: ArchField, detail: string): never => {
    throw new ConfigError(config.file, configFieldFor(config, property), detail);
  };
  checkSizes(arch, config);
  for (const [rotary, baseField] of [
    [arch.positional.kind === 'rotary' ? arch.positional : undefined, config.has('rope_theta') || arch.modelType !== 'gpt_neox' ? 'rope_theta' : 'rotary_emb_base'],
    [arch.localRotary, 'rope_local_base_freq'],
  ] as const) {
    if (rotary === undefined) continue;
    const { rotaryDim } = rotary;
    if (!Number.isSafeInteger(rotaryDim) || rotaryDim < 0 || rotaryDim > arch.headDim || rotaryDim % 2 !== 0) {
      // the width comes from rotary_pct (gpt_neox) or partial_rotary_factor (phi, phi3), present or defaulted
      const field =
        arch.modelType === 'gpt_neox' && !config.has('partial_rotary_factor')
          ? 'rotary_pct'
          : arch.modelType === 'phi' || config.has('partial_rotary_factor')
            ? 'partial_rotary_factor'
            : configFieldFor(config, 'rotaryDim');
      throw new ConfigError(config.file, field, `gives ${rotaryDim} rotary dimensions per head; rotate_half needs an even number from 0 to the head width ${arch.headDim}`);
    }
    if (!(rotary.base > 0)) throw new ConfigError(config.file, baseField, `must be positive, got ${rotary.base}`);
  }
  if (arch.slidingLayers !== undefined && arch.slidingLayers.length !== arch.nLayers) {
    throw new ConfigError(config.file, 'layer_types', `has ${arch.slidingLayers.length} entries for ${arch.nLayers} layers`);
  }
  // a learned (or sinusoidal) table is built at load: keep it addressable
  if (arch.positional.kind === 'learned' && arch.maxPositions * arch.dModel > MAX_SIZE) {
    fail('maxPositions', `${arch.maxPositions} positions x ${arch.dModel} dimensions is too large a position table`);
  }
  if (!(arch.norm.eps >= 0)) fail('eps', `must be a non-negative number, got ${arch.norm.eps}`);
  if (arch.slidingWindow !== undefined && !(Number.isSafeInteger(arch.slidingWindow) && arch.slidingWindow >= 1 && arch.slidingWindow <= MAX_SIZE)) {
    fail('slidingWindow', `must be a positive integer up to ${MAX_SIZE}, got ${arch.slidingWindow}`);
  }
}
