import { ConfigError } from '../config/config-reader.js';
import { sliceColumns, slice1d, type HostArray } from '../host-array.js';
import { embeddingTables, fusedQkv, layerNormHead, parseActivation, torchNorm, type FamilyAdapter } from './adapter.js';
import { archSizes, archSpec, type SizeFields } from './arch-defaults.js';

/** Conv1D weights are stored [in, out] already (y = x W + b): no transpose. */
function conv1d(r: Parameters<FamilyAdapter['layer']>[1], prefix: string, inDim: number, outDim: number) {
  return { w: r.read(`${prefix}.weight`, [inDim, outDim]), b: r.read(`${prefix}.bias`, [outDim]) };
}

/** GPT-2's names for the sizes; n_inner null means 4 d. */
const GPT2_SIZES: SizeFields = { layers: 'n_layer', dModel: 'n_embd', heads: 'n_head', mlp: (c, d) => c.optInt('n_inner') ?? 4 * d, positions: 'n_positions' };

/** GPT-2 (GPT2LMHeadModel): learned positions, Conv1D layouts, fused c_attn columns [q | k | v]. */
export const gpt2Adapter: FamilyAdapter = {
  modelTypes: ['gpt2'],
  summary: 'GPT-2: LayerNorm pre-norm, learned absolute positions, fused Conv1D qkv, GELU MLP',
  archFromConfig(c) {
    if (c.bool('scale_attn_by_inverse_layer_idx', false)) {
      throw new ConfigError(c.file, 'scale_attn_by_inverse_layer_idx', 'true is not supported');
    }
    if (!c.bool('scale_attn_weights', true)) throw new ConfigError(c.file, 'scale_attn_weights', 'false is not supported');
    return archSpec(c, 'gpt2', archSizes(c, GPT2_SIZES), {
      norm: { kind: 'layernorm', eps: c.number('layer_norm_epsilon', 1e-5) },
      positional: { kind: 'learned', offset: 0 },
      mlp: { kind: 'plain', activation: parseActivation(c, 'activation_function', 'gelu_new') },
      tiedByDefault: true,
      bias: { qkv: true, attnOut: true, mlp: true, lmHead: false },
    });
  },
  embeddings: embeddingTables('transformer.wte.weight', 'transformer.wpe.weight'),
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
      ...fusedQkv(part),
      o: conv1d(r, `${p}.attn.c_proj`, d, d),
      up: conv1d(r, `${p}.mlp.c_fc`, d, a.dMlp),
      down: conv1d(r, `${p}.mlp.c_proj`, a.dMlp, d),
    };
  },
  head: layerNormHead('transformer.ln_f', 'lm_head.weight', 'transformer.wte.weight'),
};
