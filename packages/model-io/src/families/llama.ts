import type { ArchSpec } from '../arch-spec.js';
import { ConfigError, type ConfigReader } from '../config/config-reader.js';
import { addScalar } from '../host-array.js';
import { attentionProjections, embeddingTables, lmHeadFrom, mlpProjections, parseActivation, torchNorm, type FamilyAdapter } from './adapter.js';
import { archSizes, archSpec } from './arch-defaults.js';

/**
 * The Llama layout shared by llama, mistral, qwen2 and gemma: RMSNorm pre-norm, full rotary,
 * separate q/k/v/o projections (GQA), gated MLP. The families differ only in config fields:
 * qwen2 has q/k/v biases, gemma scales embeddings by sqrt(d) and uses RMSNorm gains (1 + w).
 */
function llamaLikeArch(c: ConfigReader, modelType: string): ArchSpec {
  const sizes = archSizes(c, { kvHeads: 'num_key_value_heads', headDim: 'head_dim' });
  c.requireOneOf('rope_scaling', [], 'rope scaling is not implemented; a scaled-rope checkpoint would give wrong numbers');
  if (modelType === 'llama' && c.int('pretraining_tp', 1) !== 1) {
    throw new ConfigError(c.file, 'pretraining_tp', 'only 1 is supported');
  }
  const isGemma = modelType === 'gemma';
  const isQwen2 = modelType === 'qwen2';
  if (isQwen2 && c.bool('use_sliding_window', false)) {
    throw new ConfigError(c.file, 'use_sliding_window', 'sliding-window attention is not implemented for qwen2');
  }
  const attentionBias = isQwen2 ? true : c.bool('attention_bias', false);
  const slidingWindow = modelType === 'mistral' ? c.optInt('sliding_window') : undefined;
  return archSpec(c, modelType, sizes, {
    ...(slidingWindow !== undefined ? { slidingWindow } : {}),
    norm: { kind: 'rmsnorm', eps: c.number('rms_norm_eps', 1e-6) },
    positional: { kind: 'rotary', rotaryDim: sizes.headDim, base: c.number('rope_theta', 10000) },
    mlp: {
      kind: 'gated',
      // gemma v4.44 reads hidden_activation (falling back to gelu_pytorch_tanh)
      activation: isGemma ? parseActivation(c, 'hidden_activation', 'gelu_pytorch_tanh') : parseActivation(c, 'hidden_act', 'silu'),
    },
    // Gemma multiplies embeddings by sqrt(hidden_size) cast to the activation dtype (float32).
    embeddingScale: isGemma ? Math.fround(Math.sqrt(sizes.dModel)) : 1,
    tiedByDefault: isGemma || isQwen2,
    bias: { qkv: attentionBias, attnOut: isQwen2 ? false : attentionBias, mlp: c.bool('mlp_bias', false), lmHead: false },
  });
}

function makeLlamaLike(modelType: string, summary: string): FamilyAdapter {
  const gainOffset = modelType === 'gemma' ? 1 : 0; // Gemma RMSNorm: x_hat * (1 + w)
  const norm = (r: Parameters<FamilyAdapter['layer']>[1], name: string, d: number) => {
    const n = torchNorm(r, name, d, false);
    return gainOffset ? { g: addScalar(n.g, gainOffset) } : n;
  };
  return {
    modelTypes: [modelType],
    summary,
    archFromConfig: (c) => llamaLikeArch(c, modelType),
    embeddings: embeddingTables('model.embed_tokens.weight'),
    layer(a, r, l) {
      const p = `model.layers.${l}`;
      return {
        ln1: norm(r, `${p}.input_layernorm`, a.dModel),
        ln2: norm(r, `${p}.post_attention_layernorm`, a.dModel),
        ...attentionProjections(r, a, `${p}.self_attn`, ['q_proj', 'k_proj', 'v_proj', 'o_proj']),
        ...mlpProjections(r, a, `${p}.mlp`, { gate: 'gate_proj', up: 'up_proj', down: 'down_proj' }),
      };
    },
    head(a, r) {
      return { lnFinal: norm(r, 'model.norm', a.dModel), lmHead: lmHeadFrom(r, a, 'lm_head.weight', 'model.embed_tokens.weight') };
    },
  };
}

export const llamaAdapter = makeLlamaLike('llama', 'Llama: RMSNorm, rotary, GQA, SiLU-gated MLP');
export const mistralAdapter = makeLlamaLike('mistral', 'Mistral: Llama layout with sliding-window attention');
export const qwen2Adapter = makeLlamaLike('qwen2', 'Qwen2: Llama layout with q/k/v biases');
export const gemmaAdapter = makeLlamaLike('gemma', 'Gemma: Llama layout, embeddings x sqrt(d), RMSNorm (1 + w), gelu-tanh gate');
