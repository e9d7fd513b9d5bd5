import { ConfigError } from '../config/config-reader.js';
import { attentionProjections, embeddingTables, layerNormHead, mlpProjections, parseActivation, torchNorm, type FamilyAdapter } from './adapter.js';
import { archSizes, archSpec } from './arch-defaults.js';

/** OPT, pre-LN layout (OPT-125m, 1.3b and larger): learned positions at offset 2, ReLU MLP, biases everywhere. */
export const optAdapter: FamilyAdapter = {
  modelTypes: ['opt'],
  summary: 'OPT (pre-LN): LayerNorm, learned positions with offset 2, ReLU MLP',
  archFromConfig(c) {
    if (!c.bool('do_layer_norm_before', true)) {
      throw new ConfigError(c.file, 'do_layer_norm_before', 'post-LN OPT (OPT-350m) is not supported');
    }
    const sizes = archSizes(c, { mlp: 'ffn_dim' });
    if (c.int('word_embed_proj_dim', sizes.dModel) !== sizes.dModel) {
      throw new ConfigError(c.file, 'word_embed_proj_dim', 'project_in/project_out models are not supported');
    }
    if (c.bool('_remove_final_layer_norm', false)) throw new ConfigError(c.file, '_remove_final_layer_norm', 'true is not supported');
    const bias = c.bool('enable_bias', true);
    return archSpec(c, 'opt', sizes, {
      norm: { kind: 'layernorm', eps: 1e-5 }, // torch's LayerNorm default; OPT has no config field
      positional: { kind: 'learned', offset: 2 },
      mlp: { kind: 'plain', activation: parseActivation(c, 'activation_function', 'relu') },
      tiedByDefault: true,
      bias: { qkv: bias, attnOut: bias, mlp: bias, lmHead: false },
    });
  },
  embeddings: embeddingTables('model.decoder.embed_tokens.weight', 'model.decoder.embed_positions.weight'),
  layer(a, r, l) {
    const p = `model.decoder.layers.${l}`;
    return {
      ln1: torchNorm(r, `${p}.self_attn_layer_norm`, a.dModel, true),
      ln2: torchNorm(r, `${p}.final_layer_norm`, a.dModel, true),
      ...attentionProjections(r, a, `${p}.self_attn`, ['q_proj', 'k_proj', 'v_proj', 'out_proj']),
      ...mlpProjections(r, a, p, { up: 'fc1', down: 'fc2' }),
    };
  },
  head: layerNormHead('model.decoder.final_layer_norm', 'lm_head.weight', 'model.decoder.embed_tokens.weight'),
};
