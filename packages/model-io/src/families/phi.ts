import type { ArchSpec } from '../arch-spec.js';
import { ConfigError } from '../config/config-reader.js';
import { lmHeadFrom, parseActivation, torchLinear, torchNorm, type FamilyAdapter } from './adapter.js';

/** Phi (Phi-1/1.5/2): one LayerNorm feeds parallel attention and MLP; partial rotary; biased lm_head. */
export const phiAdapter: FamilyAdapter = {
  modelTypes: ['phi'],
  summary: 'Phi: shared-LayerNorm parallel block, partial rotary, GELU MLP, biased lm_head',
  archFromConfig(c) {
    const dModel = c.int('hidden_size');
    const nHeads = c.int('num_attention_heads');
    const headDim = dModel / nHeads;
    if (c.bool('qk_layernorm', false)) throw new ConfigError(c.file, 'qk_layernorm', 'true is not supported');
    c.requireOneOf('rope_scaling', [], 'rope scaling is not implemented');
    const vocabSize = c.int('vocab_size');
    return {
      modelType: 'phi',
      nLayers: c.int('num_hidden_layers'),
      dModel,
      nHeads,
      nKvHeads: c.int('num_key_value_heads', nHeads),
      headDim,
      dMlp: c.int('intermediate_size'),
      vocabSize,
      maxPositions: c.int('max_position_embeddings'),
      norm: { kind: 'layernorm', eps: c.number('layer_norm_eps', 1e-5) },
      residual: 'parallel-shared-norm',
      positional: { kind: 'rotary', rotaryDim: Math.floor(headDim * c.number('partial_rotary_factor', 0.5)), base: c.number('rope_theta', 10000) },
      mlp: { kind: 'plain', activation: parseActivation(c, 'hidden_act', 'gelu_new') },
      embeddingScale: 1,
      attnScale: 1 / Math.sqrt(headDim),
      tiedEmbeddings: c.bool('tie_word_embeddings', false),
      bias: { qkv: true, attnOut: true, mlp: true, lmHead: true },
      bosTokenId: c.tokenId('bos_token_id', vocabSize),
      eosTokenId: c.tokenId('eos_token_id', vocabSize),
    } satisfies ArchSpec;
  },
  embeddings(a, r) {
    return { embed: r.read('model.embed_tokens.weight', [a.vocabSize, a.dModel]) };
  },
  layer(a, r, l) {
    const p = `model.layers.${l}`;
    const d = a.dModel;
    const qDim = a.nHeads * a.headDim;
    const kvDim = a.nKvHeads * a.headDim;
    return {
      ln1: torchNorm(r, `${p}.input_layernorm`, d, true),
      q: torchLinear(r, `${p}.self_attn.q_proj`, d, qDim, true),
      k: torchLinear(r, `${p}.self_attn.k_proj`, d, kvDim, true),
      v: torchLinear(r, `${p}.self_attn.v_proj`, d, kvDim, true),
      o: torchLinear(r, `${p}.self_attn.dense`, qDim, d, true),
      up: torchLinear(r, `${p}.mlp.fc1`, d, a.dMlp, true),
      down: torchLinear(r, `${p}.mlp.fc2`, a.dMlp, d, true),
    };
  },
  head(a, r) {
    return {
      lnFinal: torchNorm(r, 'model.final_layernorm', a.dModel, true),
      lmHead: lmHeadFrom(r, a, 'lm_head.weight', 'model.embed_tokens.weight'),
    };
  },
};
