import { embeddingTables, layerNormHead, mlpProjections, parseActivation, perHeadFusedQkv, torchLinear, torchNorm, type FamilyAdapter } from './adapter.js';
import { archSizes, archSpec } from './arch-defaults.js';

/** GPT-NeoX / Pythia: the fused query_key_value is laid out per head (perHeadFusedQkv). */
export const gptNeoxAdapter: FamilyAdapter = {
  modelTypes: ['gpt_neox'],
  summary: 'GPT-NeoX/Pythia: LayerNorm, partial rotary, per-head fused qkv, parallel or sequential residual',
  archFromConfig(c) {
    const sizes = archSizes(c);
    c.requireOneOf('rope_scaling', [], 'rope scaling is not implemented');
    const bias = c.bool('attention_bias', true);
    return archSpec(c, 'gpt_neox', sizes, {
      norm: { kind: 'layernorm', eps: c.number('layer_norm_eps', 1e-5) },
      residual: c.bool('use_parallel_residual', true) ? 'parallel' : 'sequential',
      // transformers: rotary_ndims = int(head_size * rotary_pct)
      positional: { kind: 'rotary', rotaryDim: Math.floor(sizes.headDim * c.number('rotary_pct', 0.25)), base: c.number('rotary_emb_base', 10000) },
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
