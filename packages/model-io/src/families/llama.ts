import type { ArchSpec } from '../arch-spec.js';
import { ConfigError, type ConfigReader } from '../config/config-reader.js';
import { lmHeadFrom, parseActivation, torchLinear, torchNorm, type FamilyAdapter } from './adapter.js';
import { addScalar } from './host-array.js';

/**
 * The Llama layout shared by llama, mistral, qwen2 and gemma: RMSNorm pre-norm, full rotary,
 * separate q/k/v/o projections (GQA), gated MLP. The families differ only in config fields:
 * qwen2 has q/k/v biases, gemma scales embeddings by sqrt(d) and uses RMSNorm gains (1 + w).
 */
function llamaLikeArch(c: ConfigReader, modelType: string): ArchSpec {
  const dModel = c.int('hidden_size');
  const nHeads = c.int('num_attention_heads');
  const headDim = c.optInt('head_dim') ?? dModel / nHeads;
  const vocabSize = c.int('vocab_size');
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
  return {
    modelType,
    ...(slidingWindow !== undefined ? { slidingWindow } : {}),
    nLayers: c.int('num_hidden_layers'),
    dModel,
    nHeads,
    nKvHeads: c.int('num_key_value_heads', nHeads),
    headDim,
    dMlp: c.int('intermediate_size'),
    vocabSize,
    maxPositions: c.int('max_position_embeddings'),
    norm: { kind: 'rmsnorm', eps: c.number('rms_norm_eps', 1e-6) },
    residual: 'sequential',
    positional: { kind: 'rotary', rotaryDim: headDim, base: c.number('rope_theta', 10000) },
    mlp: {
      kind: 'gated',
      // gemma v4.44 reads hidden_activation (falling back to gelu_pytorch_tanh)
      activation: isGemma ? parseActivation(c, 'hidden_activation', 'gelu_pytorch_tanh') : parseActivation(c, 'hidden_act', 'silu'),
    },
    // Gemma multiplies embeddings by sqrt(hidden_size) cast to the activation dtype (float32).
    embeddingScale: isGemma ? Math.fround(Math.sqrt(dModel)) : 1,
    attnScale: 1 / Math.sqrt(headDim),
    tiedEmbeddings: c.bool('tie_word_embeddings', isGemma || isQwen2 ? true : false),
    bias: { qkv: attentionBias, attnOut: isQwen2 ? false : attentionBias, mlp: c.bool('mlp_bias', false), lmHead: false },
    bosTokenId: c.tokenId('bos_token_id', vocabSize),
    eosTokenId: c.tokenId('eos_token_id', vocabSize),
  };
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
    embeddings(a, r) {
      return { embed: r.read('model.embed_tokens.weight', [a.vocabSize, a.dModel]) };
    },
    layer(a, r, l) {
      const p = `model.layers.${l}`;
      const d = a.dModel;
      const qDim = a.nHeads * a.headDim;
      const kvDim = a.nKvHeads * a.headDim;
      return {
        ln1: norm(r, `${p}.input_layernorm`, d),
        ln2: norm(r, `${p}.post_attention_layernorm`, d),
        q: torchLinear(r, `${p}.self_attn.q_proj`, d, qDim, a.bias.qkv),
        k: torchLinear(r, `${p}.self_attn.k_proj`, d, kvDim, a.bias.qkv),
        v: torchLinear(r, `${p}.self_attn.v_proj`, d, kvDim, a.bias.qkv),
        o: torchLinear(r, `${p}.self_attn.o_proj`, qDim, d, a.bias.attnOut),
        gate: torchLinear(r, `${p}.mlp.gate_proj`, d, a.dMlp, a.bias.mlp),
        up: torchLinear(r, `${p}.mlp.up_proj`, d, a.dMlp, a.bias.mlp),
        down: torchLinear(r, `${p}.mlp.down_proj`, a.dMlp, d, a.bias.mlp),
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
