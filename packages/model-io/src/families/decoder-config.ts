import type { ArchSpec, MixtureOfExperts } from '../arch-spec.js';
import { MAX_SIZE } from '../config/arch-check.js';
import type { ConfigReader } from '../config/config-reader.js';

/**
 * config.json readers shared by the Llama-layout families (llama.ts, gemma.ts, phi3.ts): which layers
 * slide, soft-caps, the MoE router. Each follows transformers v4.57.1's config classes and the modeling
 * code that reads them; a wrong type or value is a ConfigError naming config.json and the field.
 */

export type SlidingAttention = Pick<ArchSpec, 'slidingWindow' | 'slidingLayers'>;

/** Mistral, Mixtral, Phi-3: one sliding-window mask for every layer when `sliding_window` is set (create_sliding_window_causal_mask). */
export function everyLayerSlides(c: ConfigReader): SlidingAttention {
  const window = c.optInt('sliding_window');
  return window === undefined ? {} : { slidingWindow: window };
}

/**
 * Gemma 2/3, Qwen2/3: `layer_types[l] == "sliding_attention"` layers use `sliding_window` (the mask of
 * masking_utils.py: query t sees keys s with t - window < s <= t). Configs written before `layer_types`
 * existed get the config class's default pattern, `defaultSliding(l)`. `window` undefined: no layer slides.
 */
export function layerTypesSlide(c: ConfigReader, nLayers: number, window: number | undefined, defaultSliding: (l: number) => boolean): SlidingAttention {
  if (window === undefined) return {};
  if (window < 1) throw c.error('sliding_window', `must be a positive integer, got ${window}`);
  const slidingLayers = c.has('layer_types')
    ? c.stringList('layer_types', ['sliding_attention', 'full_attention'], nLayers).map((t) => t === 'sliding_attention')
    : Array.from({ length: nLayers }, (_, l) => defaultSliding(l));
  return slidingLayers.some(Boolean) ? { slidingWindow: window, slidingLayers } : {};
}

/** Qwen2/Qwen3Config: `sliding_window` only with `use_sliding_window`; by default layers from `max_window_layers` on slide. */
export function qwenSliding(c: ConfigReader, nLayers: number): SlidingAttention {
  if (!c.bool('use_sliding_window', false)) return {};
  const from = c.int('max_window_layers', 28);
  return layerTypesSlide(c, nLayers, c.int('sliding_window', 4096), (l) => l >= from);
}

/** Gemma 2 soft-capping caps (attn_logit_softcapping, final_logit_softcapping); null or absent = none. */
export function softCaps(c: ConfigReader, defaults: { attention?: number; logits?: number }): ArchSpec['softCap'] {
  const cap = (field: string, fallback: number | undefined) => {
    const v = c.raw[field] === null ? undefined : c.has(field) ? c.number(field) : fallback;
    if (v !== undefined && !(v > 0)) throw c.error(field, `must be a positive number or null, got ${v}`);
    return v;
  };
  const attention = cap('attn_logit_softcapping', defaults.attention);
  const logits = cap('final_logit_softcapping', defaults.logits);
  if (attention === undefined && logits === undefined) return undefined;
  return { ...(attention !== undefined ? { attention } : {}), ...(logits !== undefined ? { logits } : {}) };
}

/** Gemma 2/3 attention scaling: query_pre_attn_scalar ** -0.5 (not head_dim ** -0.5). */
export function queryPreAttnScale(c: ConfigReader, fallback: number): number {
  const scalar = c.number('query_pre_attn_scalar', fallback);
  if (!(scalar > 0)) throw c.error('query_pre_attn_scalar', `must be a positive number, got ${scalar}`);
  return scalar ** -0.5;
}

/** MixtralConfig: num_local_experts (default 8), num_experts_per_tok (default 2); Mixtral always renormalises the top k. */
export function mixtralExperts(c: ConfigReader): MixtureOfExperts {
  const experts = c.int('num_local_experts', 8);
  if (experts < 1 || experts > MAX_SIZE) throw c.error('num_local_experts', `must be a positive integer up to ${MAX_SIZE}, got ${experts}`);
  const topK = c.int('num_experts_per_tok', 2);
  if (topK < 1 || topK > experts) throw c.error('num_experts_per_tok', `must be from 1 to num_local_experts (${experts}), got ${topK}`);
  return { experts, topK, renormalize: true };
}
