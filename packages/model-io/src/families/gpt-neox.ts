import type { ConfigReader } from '../config/config-reader.js';
import { rotaryFromConfig } from '../config/rope-scaling.js';
import { embeddingTables, layerNormHead, mlpProjections, parseActivation, perHeadFusedQkv, torchLinear, torchNorm, type FamilyAdapter } from './adapter.js';
import { archSizes, archSpec } from './arch-defaults.js';

/** GPT-NeoX / Pythia: the fused query_key_value is laid out per head (perHeadFusedQkv). */
export const gptNeoxAdapter: FamilyAdapter = {
  modelTypes: ['gpt_neox'],
  summary: 'GPT-NeoX/Pythia: LayerNorm, partial rotary, per-head fused qkv, parallel or sequential residual',
  archFromConfig(c) {
    const sizes = archSizes(c);
    const bias = c.bool('attention_bias', true);
    return archSpec(c, 'gpt_neox', sizes, {
      norm: { kind: 'layernorm', eps: c.number('layer_norm_eps', 1e-5) },
      residual: c.bool('use_parallel_residual', true) ? 'parallel' : 'sequential',
      // transformers: rotary_ndims = int(head_size * rotary_pct); rope_scaling as every rotary family (v4.57.1 modeling_rope_utils.py)
      positional: rotaryFromConfig(c, {
        modelType: 'gpt_neox',
        rotaryDim: Math.floor(sizes.headDim * agreeing(c, 'rotary_pct', 'partial_rotary_factor', 0.25)),
        base: agreeing(c, 'rotary_emb_base', 'rope_theta', 10000),
        maxPositions: sizes.maxPositions,
      }),
      mlp: { kind: 'plain', activation: parseActivation(c, 'hidden_act', 'gelu') },
      tiedByDefault: false,
      bias: { qkv: bias, attnOut: bias, mlp: true, lmHead: false },
    });
  },
  embeddings: embeddingTables('gpt_neox.embed_in.weight'),
  layer(a, r, l) {
    const p = `gpt_neox.layers.${l}`;
    const d = a.dModel;
    return {
      ln1: torchNorm(r, `${p}.input_layernorm`, d, true),
      ln2: torchNorm(r, `${p}.post_attention_layernorm`, d, true),
      ...perHeadFusedQkv(r, a, `${p}.attention.query_key_value`),
      o: torchLinear(r, `${p}.attention.dense`, d, d, a.bias.attnOut),
      ...mlpProjections(r, a, `${p}.mlp`, { up: 'dense_h_to_4h', down: 'dense_4h_to_h' }),
    };
  },
  head: layerNormHead('gpt_neox.final_layer_norm', 'embed_out.weight', 'gpt_neox.embed_in.weight'),
};

/**
 * GPT-NeoX's rotary settings under their old names (rotary_pct, rotary_emb_base; transformers v4.44)
 * or the names newer releases also write (partial_rotary_factor, rope_theta): either one, or both
 * equal. Different values are refused: which one a release reads is not worth guessing.
 */
function agreeing(c: ConfigReader, oldName: string, newName: string, fallback: number): number {
  if (!c.has(newName)) return c.number(oldName, fallback);
  const value = c.number(newName);
  if (c.has(oldName) && c.number(oldName) !== value) throw c.error(newName, `${value} disagrees with ${oldName} (${c.number(oldName)}); give one, or both equal`);
  return value;
}
