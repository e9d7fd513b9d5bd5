import type { ArchSpec } from '../arch-spec.js';
import { lmHeadFrom, parseActivation, torchLinear, torchNorm, type FamilyAdapter } from './adapter.js';
import { gatherRows, transpose2d } from './host-array.js';

/**
 * GPT-NeoX / Pythia. The fused query_key_value is laid out per head: its [3*d, d] output rows reshape
 * to [heads, 3 * head_dim], and within each head rows 0..hd-1 are q, hd..2hd-1 k, 2hd..3hd-1 v.
 */
export const gptNeoxAdapter: FamilyAdapter = {
  modelTypes: ['gpt_neox'],
  summary: 'GPT-NeoX/Pythia: LayerNorm, partial rotary, per-head fused qkv, parallel or sequential residual',
  archFromConfig(c) {
    const dModel = c.int('hidden_size');
    const nHeads = c.int('num_attention_heads');
    const headDim = dModel / nHeads;
    c.requireOneOf('rope_scaling', [], 'rope scaling is not implemented');
    const vocabSize = c.int('vocab_size');
    const bias = c.bool('attention_bias', true);
    return {
      modelType: 'gpt_neox',
      nLayers: c.int('num_hidden_layers'),
      dModel,
      nHeads,
      nKvHeads: nHeads,
      headDim,
      dMlp: c.int('intermediate_size'),
      vocabSize,
      maxPositions: c.int('max_position_embeddings'),
      norm: { kind: 'layernorm', eps: c.number('layer_norm_eps', 1e-5) },
      residual: c.bool('use_parallel_residual', true) ? 'parallel' : 'sequential',
      // transformers: rotary_ndims = int(head_size * rotary_pct)
      positional: { kind: 'rotary', rotaryDim: Math.floor(headDim * c.number('rotary_pct', 0.25)), base: c.number('rotary_emb_base', 10000) },
      mlp: { kind: 'plain', activation: parseActivation(c, 'hidden_act', 'gelu') },
      embeddingScale: 1,
      attnScale: 1 / Math.sqrt(headDim),
      tiedEmbeddings: c.bool('tie_word_embeddings', false),
      bias: { qkv: bias, attnOut: bias, mlp: true, lmHead: false },
      bosTokenId: c.tokenId('bos_token_id', vocabSize),
      eosTokenId: c.tokenId('eos_token_id', vocabSize),
    } satisfies ArchSpec;
  },
  embeddings(a, r) {
    return { embed: r.read('gpt_neox.embed_in.weight', [a.vocabSize, a.dModel]) };
  },
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
      q: part(0),
      k: part(1),
      v: part(2),
      o: torchLinear(r, `${p}.attention.dense`, d, d, a.bias.attnOut),
      up: torchLinear(r, `${p}.mlp.dense_h_to_4h`, d, a.dMlp, true),
      down: torchLinear(r, `${p}.mlp.dense_4h_to_h`, a.dMlp, d, true),
    };
  },
  head(a, r) {
    return {
      lnFinal: torchNorm(r, 'gpt_neox.final_layer_norm', a.dModel, true),
      lmHead: lmHeadFrom(r, a, 'embed_out.weight', 'gpt_neox.embed_in.weight'),
    };
  },
};
