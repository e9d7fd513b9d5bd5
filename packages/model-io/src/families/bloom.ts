import { ConfigError } from '../config/config-reader.js';
import { MAX_SIZE } from '../config/arch-check.js';
import { lmHeadFrom, mlpProjections, perHeadFusedQkv, torchLinear, torchNorm, type FamilyAdapter, type WeightReader } from './adapter.js';
import { archSizes, archSpec } from './arch-defaults.js';

/**
 * The prefix of Bloom's tensor names: `transformer.` in BloomForCausalLM checkpoints, none in the
 * bigscience releases saved from BloomModel (transformers loads both through base_model_prefix).
 */
function prefixOf(r: WeightReader): string {
  return !r.has('transformer.word_embeddings.weight') && r.has('word_embeddings.weight') ? '' : 'transformer.';
}

/**
 * BLOOM (transformers v4.57.1 modeling_bloom.py): ALiBi instead of positions, a LayerNorm on the
 * word embeddings, per-head interleaved fused qkv with biases, 4d tanh-GELU MLP, tied LM head.
 */
export const bloomAdapter: FamilyAdapter = {
  modelTypes: ['bloom'],
  summary: 'BLOOM: ALiBi, embedding LayerNorm, per-head fused qkv, GELU MLP, tied lm_head',
  archFromConfig(c) {
    if (c.bool('apply_residual_connection_post_layernorm', false)) {
      throw new ConfigError(c.file, 'apply_residual_connection_post_layernorm', 'true is not supported (residuals from the normed input)');
    }
    // BloomConfig: `n_embed` (older configs) overrides hidden_size; the MLP is always 4 x hidden_size
    const sizes = archSizes(c, {
      layers: 'n_layer',
      dModel: c.has('n_embed') ? 'n_embed' : 'hidden_size',
      heads: 'n_head',
      mlp: (_, d) => 4 * d,
      positions: MAX_SIZE, // ALiBi: no position table, no length limit
    });
    return archSpec(c, 'bloom', sizes, {
      norm: { kind: 'layernorm', eps: c.number('layer_norm_epsilon', 1e-5) },
      positional: { kind: 'alibi' },
      embeddingNorm: true,
      // bloom_gelu_forward: the tanh approximation with 0.79788456 for sqrt(2/pi) (8e-11 relative: below float32)
      mlp: { kind: 'plain', activation: 'gelu_tanh' },
      tiedByDefault: true,
      bias: { qkv: true, attnOut: true, mlp: true, lmHead: false },
    });
  },
  embeddings(a, r) {
    const p = prefixOf(r);
    return {
      embed: r.read(`${p}word_embeddings.weight`, [a.vocabSize, a.dModel]),
      embedNorm: torchNorm(r, `${p}word_embeddings_layernorm`, a.dModel, true),
    };
  },
  layer(a, r, l) {
    const p = `${prefixOf(r)}h.${l}`;
    const d = a.dModel;
    return {
      ln1: torchNorm(r, `${p}.input_layernorm`, d, true),
      ln2: torchNorm(r, `${p}.post_attention_layernorm`, d, true),
      ...perHeadFusedQkv(r, a, `${p}.self_attention.query_key_value`),
      o: torchLinear(r, `${p}.self_attention.dense`, d, d, true),
      ...mlpProjections(r, a, `${p}.mlp`, { up: 'dense_h_to_4h', down: 'dense_4h_to_h' }),
    };
  },
  head(a, r) {
    const p = prefixOf(r);
    return { lnFinal: torchNorm(r, `${p}ln_f`, a.dModel, true), lmHead: lmHeadFrom(r, a, 'lm_head.weight', `${p}word_embeddings.weight`) };
  },
};
