import { decoderAdapter } from './decoder-layout.js';
import { everyLayerSlides } from './decoder-config.js';
import { decoderArch } from './llama.js';

/**
 * Phi-3 (transformers v4.57.1 modeling_phi3.py): the Llama layout with fused `qkv_proj` and
 * `gate_up_proj`, partial rotary (`partial_rotary_factor`), LongRoPE (`rope_scaling` type longrope,
 * legacy "su") against the top-level original_max_position_embeddings, sliding window on every layer when set.
 */
export const phi3Adapter = decoderAdapter(
  ['phi3'],
  'Phi-3: Llama layout with fused qkv_proj and gate_up_proj, partial rotary, LongRoPE',
  (c) =>
    decoderArch(c, 'phi3', {
      eps: 1e-5,
      originalMaxPositions: 4096,
      // Phi3RotaryEmbedding / _compute_*_parameters: dim = int(head_dim * partial_rotary_factor)
      rotaryDim: (cfg, headDim) => Math.floor(headDim * cfg.number('partial_rotary_factor', 1)),
      bias: () => ({ qkv: false, attnOut: false, mlp: false, lmHead: false }),
      features: everyLayerSlides,
    }),
  { fused: true },
);
