import type { ArchSpec } from '../arch-spec.js';
import { ConfigError } from '../config/config-reader.js';
import { lmHeadFrom, parseActivation, torchNorm, type FamilyAdapter } from './adapter.js';
import { sliceColumns, slice1d, type HostArray } from './host-array.js';

/** Conv1D weights are stored [in, out] already (y = x W + b): no transpose. */
function conv1d(r: Parameters<FamilyAdapter['layer']>[1], prefix: string, inDim: number, outDim: number) {
  return { w: r.read(`${prefix}.weight`, [inDim, outDim]), b: r.read(`${prefix}.bias`, [outDim]) };
}

/** GPT-2 (GPT2LMHeadModel): learned positions, Conv1D layouts, fused c_attn columns [q | k | v]. */
export const gpt2Adapter: FamilyAdapter = {
  modelTypes: ['gpt2'],
  summary: 'GPT-2: LayerNorm pre-norm, learned absolute positions, fused Conv1D qkv, GELU MLP',
  archFromConfig(c) {
    const dModel = c.int('n_embd');
    const nHeads = c.int('n_head');
    if (c.bool('scale_attn_by_inverse_layer_idx', false)) {
      throw new ConfigError(c.file, 'scale_attn_by_inverse_layer_idx', 'true is not supported');
    }
    if (!c.bool('scale_attn_weights', true)) throw new ConfigError(c.file, 'scale_attn_weights', 'false is not supported');
    const vocabSize = c.int('vocab_size');
    return {
      modelType: 'gpt2',
      nLayers: c.int('n_layer'),
      dModel,
      nHeads,
      nKvHeads: nHeads,
      headDim: dModel / nHeads,
      dMlp: c.optInt('n_inner') ?? 4 * dModel,
      vocabSize,
      maxPositions: c.int('n_positions'),
      norm: { kind: 'layernorm', eps: c.number('layer_norm_epsilon', 1e-5) },
      residual: 'sequential',
      positional: { kind: 'learned', offset: 0 },
      mlp: { kind: 'plain', activation: parseActivation(c, 'activation_function', 'gelu_new') },
      embeddingScale: 1,
      attnScale: 1 / Math.sqrt(dModel / nHeads),
      tiedEmbeddings: c.bool('tie_word_embeddings', true),
      bias: { qkv: true, attnOut: true, mlp: true, lmHead: false },
      bosTokenId: c.tokenId('bos_token_id', vocabSize),
      eosTokenId: c.tokenId('eos_token_id', vocabSize),
    } satisfies ArchSpec;
  },
  embeddings(a, r) {
    return {
      embed: r.read('transformer.wte.weight', [a.vocabSize, a.dModel]),
      posEmbed: r.read('transformer.wpe.weight', [a.maxPositions, a.dModel]),
    };
  },
  layer(a, r, l) {
    const p = `transformer.h.${l}`;
    const d = a.dModel;
    const cAttn = conv1d(r, `${p}.attn.c_attn`, d, 3 * d);
    const part = (i: number): { w: HostArray; b: HostArray } => ({
      w: sliceColumns(cAttn.w, i * d, d),
      b: slice1d(cAttn.b, i * d, d),
    });
    return {
      ln1: torchNorm(r, `${p}.ln_1`, d, true),
      ln2: torchNorm(r, `${p}.ln_2`, d, true),
      q: part(0),
      k: part(1),
      v: part(2),
      o: conv1d(r, `${p}.attn.c_proj`, d, d),
      up: conv1d(r, `${p}.mlp.c_fc`, d, a.dMlp),
      down: conv1d(r, `${p}.mlp.c_proj`, a.dMlp, d),
    };
  },
  head(a, r) {
    return {
      lnFinal: torchNorm(r, 'transformer.ln_f', a.dModel, true),
      lmHead: lmHeadFrom(r, a, 'lm_head.weight', 'transformer.wte.weight'),
    };
  },
};
