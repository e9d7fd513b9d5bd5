import type { ArchSpec } from '../arch-spec.js';
import { ConfigError } from '../config/config-reader.js';
import { lmHeadFrom, parseActivation, torchLinear, torchNorm, type FamilyAdapter } from './adapter.js';

/** OPT, pre-LN layout (OPT-125m, 1.3b and larger): learned positions at offset 2, ReLU MLP, biases everywhere. */
export const optAdapter: FamilyAdapter = {
  modelTypes: ['opt'],
  summary: 'OPT (pre-LN): LayerNorm, learned positions with offset 2, ReLU MLP',
  archFromConfig(c) {
    const dModel = c.int('hidden_size');
    const nHeads = c.int('num_attention_heads');
    if (!c.bool('do_layer_norm_before', true)) {
      throw new ConfigError(c.file, 'do_layer_norm_before', 'post-LN OPT (OPT-350m) is not supported');
    }
    if (c.int('word_embed_proj_dim', dModel) !== dModel) {
      throw new ConfigError(c.file, 'word_embed_proj_dim', 'project_in/project_out models are not supported');
    }
    if (c.bool('_remove_final_layer_norm', false)) throw new ConfigError(c.file, '_remove_final_layer_norm', 'true is not supported');
    const bias = c.bool('enable_bias', true);
    const vocabSize = c.int('vocab_size');
    return {
      modelType: 'opt',
      nLayers: c.int('num_hidden_layers'),
      dModel,
      nHeads,
      nKvHeads: nHeads,
      headDim: dModel / nHeads,
      dMlp: c.int('ffn_dim'),
      vocabSize,
      maxPositions: c.int('max_position_embeddings'),
      norm: { kind: 'layernorm', eps: 1e-5 }, // torch's LayerNorm default; OPT has no config field
      residual: 'sequential',
      positional: { kind: 'learned', offset: 2 },
      mlp: { kind: 'plain', activation: parseActivation(c, 'activation_function', 'relu') },
      embeddingScale: 1,
      attnScale: 1 / Math.sqrt(dModel / nHeads),
      tiedEmbeddings: c.bool('tie_word_embeddings', true),
      bias: { qkv: bias, attnOut: bias, mlp: bias, lmHead: false },
      bosTokenId: c.tokenId('bos_token_id', vocabSize),
      eosTokenId: c.tokenId('eos_token_id', vocabSize),
    } satisfies ArchSpec;
  },
  embeddings(a, r) {
    return {
      embed: r.read('model.decoder.embed_tokens.weight', [a.vocabSize, a.dModel]),
      posEmbed: r.read('model.decoder.embed_positions.weight', [a.maxPositions + 2, a.dModel]),
    };
  },
  layer(a, r, l) {
    const p = `model.decoder.layers.${l}`;
    const d = a.dModel;
    return {
      ln1: torchNorm(r, `${p}.self_attn_layer_norm`, d, true),
      ln2: torchNorm(r, `${p}.final_layer_norm`, d, true),
      q: torchLinear(r, `${p}.self_attn.q_proj`, d, d, a.bias.qkv),
      k: torchLinear(r, `${p}.self_attn.k_proj`, d, d, a.bias.qkv),
      v: torchLinear(r, `${p}.self_attn.v_proj`, d, d, a.bias.qkv),
      o: torchLinear(r, `${p}.self_attn.out_proj`, d, d, a.bias.attnOut),
      up: torchLinear(r, `${p}.fc1`, d, a.dMlp, a.bias.mlp),
      down: torchLinear(r, `${p}.fc2`, a.dMlp, d, a.bias.mlp),
    };
  },
  head(a, r) {
    return {
      lnFinal: torchNorm(r, 'model.decoder.final_layer_norm', a.dModel, true),
      lmHead: lmHeadFrom(r, a, 'lm_head.weight', 'model.decoder.embed_tokens.weight'),
    };
  },
};
