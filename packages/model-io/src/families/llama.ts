import type { ArchSpec, RotaryScheme } from '../arch-spec.js';
import { MAX_SIZE } from '../config/arch-check.js';
import { ConfigError, type ConfigReader } from '../config/config-reader.js';
import { rotaryFromConfig } from '../config/rope-scaling.js';
import { parseActivation } from './adapter.js';
import { archSizes, archSpec, type ArchSizes, type FamilyFields, type SizeFields } from './arch-defaults.js';
import { everyLayerSlides, mixtralExperts, qwenSliding } from './decoder-config.js';
import { decoderAdapter } from './decoder-layout.js';

/**
 * What a Llama-layout family states beyond the shared defaults (RMSNorm pre-norm, rotary over the
 * whole head with `rope_scaling`, GQA, SiLU-gated MLP, no biases, untied), each from its transformers
 * v4.57.1 config class.
 */
export interface DecoderTraits {
  readonly sizes?: Partial<SizeFields>;
  /** rms_norm_eps default. */
  readonly eps?: number;
  /** rope_theta default. */
  readonly theta?: number;
  readonly tiedByDefault?: boolean;
  /** Partial rotary (Phi-3): the rotated width from the head width. */
  readonly rotaryDim?: (c: ConfigReader, headDim: number) => number;
  /** Top-level original_max_position_embeddings default (Phi3Config: 4096). */
  readonly originalMaxPositions?: number;
  readonly activation?: (c: ConfigReader) => ArchSpec['mlp']['activation'];
  readonly bias?: (c: ConfigReader) => ArchSpec['bias'];
  /** The family's own features (sliding layers, soft-caps, q/k norms, MoE, norm placement, scaling). */
  readonly features?: (c: ConfigReader, sizes: ArchSizes, rotary: RotaryScheme) => Partial<FamilyFields>;
}

/** `rope_scaling`-aware rotary over `rotaryDim` dims of each head, from rope_theta. */
export function decoderRotary(c: ConfigReader, modelType: string, sizes: ArchSizes, t: DecoderTraits): RotaryScheme {
  const theta = c.number('rope_theta', t.theta ?? 10000);
  const rotaryDim = t.rotaryDim ? t.rotaryDim(c, sizes.headDim) : sizes.headDim;
  const original = t.originalMaxPositions !== undefined ? c.int('original_max_position_embeddings', t.originalMaxPositions) : undefined;
  if (original !== undefined && (original < 1 || original > MAX_SIZE)) throw c.error('original_max_position_embeddings', `must be a positive integer up to ${MAX_SIZE}, got ${original}`);
  return rotaryFromConfig(c, { modelType, rotaryDim, base: theta, maxPositions: sizes.maxPositions, ...(original !== undefined ? { originalMaxPositions: original } : {}) });
}

/** The ArchSpec of a Llama-layout config.json: the shared defaults under the family's traits. */
export function decoderArch(c: ConfigReader, modelType: string, t: DecoderTraits): ArchSpec {
  const sizes = archSizes(c, { kvHeads: 'num_key_value_heads', headDim: 'head_dim', ...t.sizes });
  const rotary = decoderRotary(c, modelType, sizes, t);
  const attentionBias = c.bool('attention_bias', false);
  return archSpec(c, modelType, sizes, {
    norm: { kind: 'rmsnorm', eps: c.number('rms_norm_eps', t.eps ?? 1e-6) },
    positional: rotary,
    mlp: { kind: 'gated', activation: t.activation ? t.activation(c) : parseActivation(c, 'hidden_act', 'silu') },
    tiedByDefault: t.tiedByDefault ?? false,
    bias: t.bias ? t.bias(c) : { qkv: attentionBias, attnOut: attentionBias, mlp: c.bool('mlp_bias', false), lmHead: false },
    ...t.features?.(c, sizes, rotary),
  });
}

/** A registry entry for one Llama-layout model type. */
function family(modelType: string, summary: string, traits: DecoderTraits) {
  return decoderAdapter([modelType], summary, (c) => decoderArch(c, modelType, traits));
}

export const llamaAdapter = decoderAdapter(['llama'], 'Llama: RMSNorm, rotary (rope_scaling: linear, dynamic, llama3, yarn, longrope), GQA, SiLU-gated MLP', (c) => {
  if (c.int('pretraining_tp', 1) !== 1) throw new ConfigError(c.file, 'pretraining_tp', 'only 1 is supported');
  return decoderArch(c, 'llama', {});
});

export const mistralAdapter = family('mistral', 'Mistral: Llama layout with sliding-window attention on every layer', { features: everyLayerSlides });

export const mixtralAdapter = family('mixtral', 'Mixtral: Mistral layout with a sparse mixture of experts (router softmax, top-k, renormalised)', {
  eps: 1e-5,
  theta: 1e6,
  features: (c) => ({ ...everyLayerSlides(c), moe: mixtralExperts(c) }),
});

export const qwen2Adapter = family('qwen2', 'Qwen2: Llama layout with q/k/v biases; sliding layers per layer_types', {
  // Qwen2Attention: q/k/v biases, none on o_proj
  bias: (c) => ({ qkv: true, attnOut: false, mlp: c.bool('mlp_bias', false), lmHead: false }),
  tiedByDefault: false,
  features: (c, sizes) => qwenSliding(c, sizes.nLayers),
});

export const qwen3Adapter = family('qwen3', 'Qwen3: Llama layout with per-head q/k RMSNorm before rotary; sliding layers per layer_types', {
  sizes: { headDimDefault: 128 },
  features: (c, sizes) => ({ ...qwenSliding(c, sizes.nLayers), qkNorm: 'head' }),
});

export const olmo2Adapter = family('olmo2', 'OLMo 2: RMSNorm on each sublayer output (no input norms), q/k RMSNorm over the whole projections', {
  eps: 1e-5,
  features: () => ({ qkNorm: 'projection', sublayerNorms: { input: false, output: true } }),
});
