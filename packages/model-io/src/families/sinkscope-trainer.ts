import type { ArchSpec, AttentionOp, AttentionSlot, NormPlacement } from '../arch-spec.js';
import { ConfigError, type ConfigReader } from '../config/config-reader.js';
import { sliceColumns, slice1d, type HostArray } from '../host-array.js';
import type { LayerWeights, Linear, Norm } from '../weights.js';
import { lmHeadFrom, type FamilyAdapter, type WeightReader } from './adapter.js';
import { hasAttention, hasMlp } from './arch-defaults.js';
import { gpt2Adapter } from './gpt2.js';
import { sinusoidalTable } from '../forward/position-tables.js';

/**
 * `model_type: "sinkscope"`: the GPT-2-layout variants @sinkscope/train writes for Gu et al.'s
 * sink-emergence experiments (packages/train/README.md, "Variants"). GPT-2's fields and tensor names
 * (Conv1D weights [in, out], fused c_attn [q | k | v]) plus these config.json fields (all optional;
 * absent = GPT-2):
 *
 * | field | values | tensors |
 * | --- | --- | --- |
 * | `position_encoding` | learned, none, sinusoidal (a fixed table, no wpe), rope (all head dims, `rope_theta`), alibi (bloom's slopes; relative form for non-softmax weights and slots) | wpe for learned |
 * | `norm_type` | layernorm, rmsnorm | no norm biases with rmsnorm |
 * | `norm_placement` | pre, post | |
 * | `attention_op` | softmax, sigmoid, sigmoid_norm, elu1 (attention scale 1) | |
 * | `learnable_sink_token` | true/false | transformer.sink_token [d] |
 * | `kv_bias` | none, kv, k, v (ArchSpec.attentionSlot) | h.{i}.attn.sink_k / sink_v [d] |
 * | `prefix_length` | prefix-LM mask over the first n positions | |
 * | `sliding_window` | query t sees keys t - w < s <= t | |
 * | `attention_free_layers`, `mlp_free_layers` | block indices without that sublayer | their ln_1/attn.* or ln_2/mlp.* absent |
 * | `gated_mlp` | true: down(act(gate(x)) * up(x)) (SwiGLU with `activation_function: silu`) | h.{i}.mlp.c_gate [d, inner] |
 * | `linear_bias` | false: no q/k/v/o and MLP biases | no c_attn/c_proj/c_fc/c_gate biases |
 * | `tie_word_embeddings` | false: lm_head.weight [vocab, d] | lm_head.weight |
 */
const CHOICES = {
  position_encoding: ['learned', 'sinusoidal', 'rope', 'alibi', 'none'],
  norm_placement: ['pre', 'post'],
  norm_type: ['layernorm', 'rmsnorm'],
  attention_op: ['softmax', 'sigmoid', 'sigmoid_norm', 'elu1'],
  kv_bias: ['none', 'kv', 'k', 'v'],
} as const;

function choice<K extends keyof typeof CHOICES>(c: ConfigReader, field: K, fallback: (typeof CHOICES)[K][number]): (typeof CHOICES)[K][number] {
  const value = c.string(field, fallback);
  const allowed = CHOICES[field] as readonly string[];
  if (!allowed.includes(value)) {
    throw new ConfigError(c.file, field, `${JSON.stringify(value)} is not supported (supported: ${allowed.map((a) => JSON.stringify(a)).join(', ')})`);
  }
  return value as (typeof CHOICES)[K][number];
}

/** A list of distinct block indices in 0..nLayers-1 (absent = none). */
function layerList(c: ConfigReader, field: string, nLayers: number): readonly number[] | undefined {
  const v = c.raw[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((l) => !Number.isInteger(l) || l < 0 || l >= nLayers) || new Set(v).size !== v.length) {
    throw new ConfigError(c.file, field, `expected a list of distinct block indices in 0..${nLayers - 1}, got ${JSON.stringify(v)}`);
  }
  return v.length > 0 ? [...(v as number[])].sort((a, b) => a - b) : undefined;
}

function variantFields(c: ConfigReader, base: ArchSpec): Partial<ArchSpec> {
  const normPlacement: NormPlacement = choice(c, 'norm_placement', 'pre');
  const attentionOp: AttentionOp = choice(c, 'attention_op', 'softmax');
  const kvBias = choice(c, 'kv_bias', 'none');
  const attentionFreeLayers = layerList(c, 'attention_free_layers', base.nLayers);
  const mlpFreeLayers = layerList(c, 'mlp_free_layers', base.nLayers);
  const prefixLength = c.optInt('prefix_length');
  const slidingWindow = c.optInt('sliding_window');
  if (slidingWindow === 0) throw new ConfigError(c.file, 'sliding_window', 'must be a positive integer, got 0');
  return {
    ...(normPlacement !== 'pre' ? { normPlacement } : {}),
    ...(attentionOp !== 'softmax' ? { attentionOp } : {}),
    ...(c.bool('learnable_sink_token', false) ? { sinkToken: true } : {}),
    ...(kvBias !== 'none' ? { attentionSlot: kvBias as AttentionSlot } : {}),
    ...(prefixLength ? { prefixLength } : {}),
    ...(slidingWindow !== undefined ? { slidingWindow } : {}),
    ...(attentionFreeLayers ? { attentionFreeLayers } : {}),
    ...(mlpFreeLayers ? { mlpFreeLayers } : {}),
  };
}

export const sinkscopeAdapter: FamilyAdapter = {
  modelTypes: ['sinkscope'],
  summary:
    'sinkscope (GPT-2 layout variants from @sinkscope/train): LayerNorm/RMSNorm, pre/post-norm, learned/sinusoidal/RoPE/ALiBi/no positions, ' +
    'softmax/sigmoid/elu+1 attention, sink token, key/value slot, prefix-LM and sliding-window masks, blocks without attention or MLP, gated MLPs',
  archFromConfig(c) {
    const base = gpt2Adapter.archFromConfig(c);
    const enc = choice(c, 'position_encoding', 'learned');
    const positional: ArchSpec['positional'] =
      enc === 'rope'
        ? { kind: 'rotary', rotaryDim: base.headDim, base: c.number('rope_theta', 10000) }
        : enc === 'none' || enc === 'alibi'
          ? { kind: enc }
          : { kind: 'learned', offset: 0 }; // sinusoidal: a fixed table added like a learned one
    const linearBias = c.bool('linear_bias', true);
    const variants = variantFields(c, base);
    return {
      ...base,
      modelType: 'sinkscope',
      norm: { kind: choice(c, 'norm_type', 'layernorm'), eps: base.norm.eps },
      positional,
      mlp: { kind: c.bool('gated_mlp', false) ? 'gated' : 'plain', activation: base.mlp.activation },
      bias: { qkv: linearBias, attnOut: linearBias, mlp: linearBias, lmHead: false },
      // linear attention has no temperature (Katharopoulos et al. 2020): phi(q) phi(k)^T as it is
      ...(variants.attentionOp === 'elu1' ? { attnScale: 1 } : {}),
      ...variants,
    };
  },
  embeddings(a, r) {
    const embed = r.read('transformer.wte.weight', [a.vocabSize, a.dModel]);
    const sinkToken = a.sinkToken ? { sinkToken: r.read('transformer.sink_token', [a.dModel]) } : {};
    if (a.positional.kind !== 'learned') return { embed, ...sinkToken };
    // learned positions are stored; sinusoidal ones are computed (no wpe tensor in the checkpoint)
    const posEmbed = r.has('transformer.wpe.weight') ? r.read('transformer.wpe.weight', [a.maxPositions, a.dModel]) : sinusoidalTable(a.maxPositions, a.dModel);
    return { embed, posEmbed, ...sinkToken };
  },
  layer(a, r, l) {
    const p = `transformer.h.${l}`;
    const d = a.dModel;
    const norm = (name: string): Norm<HostArray> => {
      const g = r.read(`${p}.${name}.weight`, [d]);
      return a.norm.kind === 'layernorm' ? { g, b: r.read(`${p}.${name}.bias`, [d]) } : { g };
    };
    const conv1d = (name: string, inDim: number, outDim: number, bias: boolean): Linear<HostArray> => {
      const w = r.read(`${p}.${name}.weight`, [inDim, outDim]);
      return bias ? { w, b: r.read(`${p}.${name}.bias`, [outDim]) } : { w };
    };
    let weights: LayerWeights<HostArray> = {};
    if (hasAttention(a, l)) {
      const cAttn = conv1d('attn.c_attn', d, 3 * d, a.bias.qkv);
      const part = (i: number): Linear<HostArray> => ({ w: sliceColumns(cAttn.w, i * d, d), ...(cAttn.b ? { b: slice1d(cAttn.b, i * d, d) } : {}) });
      weights = {
        ln1: norm('ln_1'),
        q: part(0),
        k: part(1),
        v: part(2),
        o: conv1d('attn.c_proj', d, d, a.bias.attnOut),
        ...(a.attentionSlot === 'kv' || a.attentionSlot === 'k' ? { slotKey: r.read(`${p}.attn.sink_k`, [d]) } : {}),
        ...(a.attentionSlot === 'kv' || a.attentionSlot === 'v' ? { slotValue: r.read(`${p}.attn.sink_v`, [d]) } : {}),
      };
    }
    if (hasMlp(a, l)) {
      weights = {
        ...weights,
        ln2: norm('ln_2'),
        ...(a.mlp.kind === 'gated' ? { gate: conv1d('mlp.c_gate', d, a.dMlp, a.bias.mlp) } : {}),
        up: conv1d('mlp.c_fc', d, a.dMlp, a.bias.mlp),
        down: conv1d('mlp.c_proj', a.dMlp, d, a.bias.mlp),
      };
    }
    return weights;
  },
  head(a, r: WeightReader) {
    const g = r.read('transformer.ln_f.weight', [a.dModel]);
    const lnFinal = a.norm.kind === 'layernorm' ? { g, b: r.read('transformer.ln_f.bias', [a.dModel]) } : { g };
    return { lnFinal, lmHead: lmHeadFrom(r, a, 'lm_head.weight', 'transformer.wte.weight') };
  },
};
