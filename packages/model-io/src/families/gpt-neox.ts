import { gatherRows, transpose2d } from '../host-array.js';
import { embeddingTables, fusedQkv, layerNormHead, mlpProjections, parseActivation, torchLinear, torchNorm, type FamilyAdapter } from './adapter.js';
import { archSizes, archSpec } from './arch-defaults.js';

/**
 * GPT-NeoX / Pythia. The fused query_key_value is laid out per head: its [3*d, d] output rows reshape
 * to [heads, 3 * head_dim], and within each head rows 0..hd-1 are q, hd..2hd-1 k, 2hd..3hd-1 v.
 */
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
    const hd = a.headDim;
    const qkvW = r.read(`${p}.attention.query_key_value.weight`, [3 * d, d]);
    const qkvB = a.bias.qkv ? r.read(`${p}.attention.query_key_value.bias`, [3 * d]) : undefined;
    const part = (which: number) => {
      const rows: number[] = [];
      for (let h = 0; h < a.nHeads; h++) for (let i = 0; i < hd; i++) rows.push(h * 3 * hd + which * hd + i);
      const w = transpose2d(gatherRows(qkvW, rows));
      return qkvB ? { w, b: gatherRows(qkvB, rows) } : { w };
    };
    return {
      ln1: torchNorm(r, `${p}.input_layernorm`, d, true),
      ln2: torchNorm(r, `${p}.post_attention_layernorm`, d, true),
      ...fusedQkv(part),
      o: torchLinear(r, `${p}.attention.dense`, d, d, a.bias.attnOut),
      ...mlpProjections(r, a, `${p}.mlp`, { up: 'dense_h_to_4h', down: 'dense_4h_to_h' }),
    };
  },
  head: layerNormHead('gpt_neox.final_layer_norm', 'embed_out.weight', 'gpt_neox.embed_in.weight'),
};
