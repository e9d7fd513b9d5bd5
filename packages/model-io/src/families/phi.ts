import { rotaryFromConfig } from '../config/rope-scaling.js';
import { ConfigError } from '../config/config-reader.js';
import { attentionProjections, embeddingTables, layerNormHead, mlpProjections, parseActivation, torchNorm, type FamilyAdapter } from './adapter.js';
import { archSizes, archSpec } from './arch-defaults.js';

/** Phi (Phi-1/1.5/2): one LayerNorm feeds parallel attention and MLP; partial rotary; biased lm_head. */
export const phiAdapter: FamilyAdapter = {
  modelTypes: ['phi'],
  summary: 'Phi: shared-LayerNorm parallel block, partial rotary, GELU MLP, biased lm_head',
  archFromConfig(c) {
    const sizes = archSizes(c, { kvHeads: 'num_key_value_heads' });
    if (c.bool('qk_layernorm', false)) throw new ConfigError(c.file, 'qk_layernorm', 'true is not supported');
    return archSpec(c, 'phi', sizes, {
      norm: { kind: 'layernorm', eps: c.number('layer_norm_eps', 1e-5) },
      residual: 'parallel-shared-norm',
      positional: rotaryFromConfig(c, {
        modelType: 'phi',
        rotaryDim: Math.floor(sizes.headDim * c.number('partial_rotary_factor', 0.5)),
        base: c.number('rope_theta', 10000),
        maxPositions: sizes.maxPositions,
      }),
      mlp: { kind: 'plain', activation: parseActivation(c, 'hidden_act', 'gelu_new') },
      tiedByDefault: false,
      bias: { qkv: true, attnOut: true, mlp: true, lmHead: true },
    });
  },
  embeddings: embeddingTables('model.embed_tokens.weight'),
  layer(a, r, l) {
    const p = `model.layers.${l}`;
    return {
      ln1: torchNorm(r, `${p}.input_layernorm`, a.dModel, true),
      ...attentionProjections(r, a, `${p}.self_attn`, ['q_proj', 'k_proj', 'v_proj', 'dense']),
      ...mlpProjections(r, a, `${p}.mlp`, { up: 'fc1', down: 'fc2' }),
    };
  },
  head: layerNormHead('model.final_layernorm', 'lm_head.weight', 'model.embed_tokens.weight'),
};
