/**
 * The one architecture description every family adapter produces and every engine consumes
 * (TransformerLens-style: one feature-based config drives one model implementation).
 */

export type NormKind = 'layernorm' | 'rmsnorm';

/** Elementwise activations; `gelu` is the exact erf form, `gelu_tanh` the tanh approximation (`gelu_new`). */
export type Activation = 'gelu' | 'gelu_tanh' | 'relu' | 'silu';

/**
 * How attention and MLP feed the residual stream:
 * - `sequential`: x += attn(ln1(x)); x += mlp(ln2(x))  (GPT-2, Llama, OPT pre-LN, NeoX sequential)
 * - `parallel`: x += attn(ln1(x)) + mlp(ln2(x))         (GPT-NeoX / Pythia use_parallel_residual)
 * - `parallel-shared-norm`: x += attn(ln(x)) + mlp(ln(x)) (Phi: one LayerNorm feeds both)
 */
export type ResidualLayout = 'sequential' | 'parallel' | 'parallel-shared-norm';

export type PositionalScheme =
  | { readonly kind: 'none' }
  /** Learned absolute table indexed at position + offset (OPT: offset 2). */
  | { readonly kind: 'learned'; readonly offset: number }
  /** Half-split rotary (rotate_half) on the first `rotaryDim` dims of each q/k head. */
  | RotaryScheme
  /**
   * ALiBi (Press et al. 2022): no position embedding; slope_h x key position added to head h's scaled
   * scores, slopes from the head count as transformers' bloom `build_alibi_tensor` (`alibiSlopes`).
   */
  | { readonly kind: 'alibi' };

/** Half-split rotary (rotate_half) on the first `rotaryDim` dims of each q/k head, inverse frequencies base^(-2j/r) rescaled as `scaling` says. */
export interface RotaryScheme {
  readonly kind: 'rotary';
  readonly rotaryDim: number;
  readonly base: number;
  /** config.json `rope_scaling` (absent: plain RoPE). */
  readonly scaling?: RopeScaling;
}

/**
 * `rope_scaling` types, as transformers v4.57.1 modeling_rope_utils.py computes them (`_compute_*_parameters`;
 * forward/position-tables.ts `rotaryInverseFrequencies`). Every field is the value those functions use,
 * resolved from config.json at load (config/rope-scaling.ts), so the tables need nothing else.
 */
export type RopeScaling =
  /** Position interpolation: inv_freq / factor. */
  | { readonly type: 'linear'; readonly factor: number }
  /** NTK-aware base growth once the (padded) batch is longer than `maxPositions`; plain RoPE up to it. */
  | { readonly type: 'dynamic'; readonly factor: number; readonly maxPositions: number }
  /** Llama 3.1: low frequencies / factor, high ones kept, a smooth ramp between. */
  | { readonly type: 'llama3'; readonly factor: number; readonly lowFreqFactor: number; readonly highFreqFactor: number; readonly originalMaxPositions: number }
  /** YaRN (arXiv:2309.00071): interpolation ramped over the correction range, cos/sin times `attentionFactor`. */
  | {
      readonly type: 'yarn';
      readonly factor: number;
      readonly originalMaxPositions: number;
      readonly betaFast: number;
      readonly betaSlow: number;
      /** Floor/ceil the correction range (rope_scaling.truncate, default true). */
      readonly truncate: boolean;
      readonly attentionFactor: number;
    }
  /** LongRoPE (Phi-3 "su"): per-pair factors, the long ones once the (padded) batch is longer than `originalMaxPositions`; cos/sin times `attentionFactor`. */
  | { readonly type: 'longrope'; readonly shortFactor: readonly number[]; readonly longFactor: readonly number[]; readonly originalMaxPositions: number; readonly attentionFactor: number };

/** Sparse mixture of experts in place of the MLP (Mixtral). */
export interface MixtureOfExperts {
  readonly experts: number;
  /** Experts each token is routed to (the highest router probabilities). */
  readonly topK: number;
  /** Divide the chosen experts' probabilities by their sum (Mixtral always does). */
  readonly renormalize: boolean;
}

export type MlpKind =
  /** down(act(up(x))) */
  | { readonly kind: 'plain'; readonly activation: Activation }
  /** down(act(gate(x)) * up(x)) — Llama/Mistral/Qwen2 (SiLU), Gemma (gelu-tanh) */
  | { readonly kind: 'gated'; readonly activation: Activation };

/**
 * How attention weights come from the scores (Gu et al. 2025, sec. 7, table 4): `softmax`;
 * `sigmoid` = sigmoid(scores) on the causal keys, not normalised; `sigmoid_norm` = that over its causal
 * row sum; `elu1` = linear attention with kernel phi(x) = elu(x) + 1 (Katharopoulos et al. 2020):
 * phi(q) phi(k)^T x attnScale over its causal row sum.
 */
export type AttentionOp = 'softmax' | 'sigmoid' | 'sigmoid_norm' | 'elu1';

/**
 * One extra key/value slot per head that every query attends besides the real keys (Gu et al. 2025,
 * sec. 7.1, "attention bias"): `kv` = learnable k* and v*; `k` = learnable k*, v* = 0; `v` = learnable
 * v*, k* = 0 (its score is 0).
 */
export type AttentionSlot = 'kv' | 'k' | 'v';

/** Where a block's norms sit: `pre` x + f(norm(x)) (every family here); `post` norm(x + f(x)) (Vaswani et al. 2017). */
export type NormPlacement = 'pre' | 'post';

export interface ArchSpec {
  /** `config.json` model_type, e.g. "gpt_neox". */
  readonly modelType: string;
  readonly nLayers: number;
  readonly dModel: number;
  /** Query heads. */
  readonly nHeads: number;
  /** Key/value heads (GQA/MQA when < nHeads); kv head j serves query heads j*g..(j+1)*g-1. */
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly dMlp: number;
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly norm: { readonly kind: NormKind; readonly eps: number };
  readonly residual: ResidualLayout;
  readonly positional: PositionalScheme;
  readonly mlp: MlpKind;
  /** Multiplier on token embeddings (Gemma: sqrt(d_model)); 1 elsewhere. */
  readonly embeddingScale: number;
  /** Scale applied to q.k scores; 1/sqrt(headDim) for every family here. */
  readonly attnScale: number;
  readonly tiedEmbeddings: boolean;
  readonly bias: {
    readonly qkv: boolean;
    readonly attnOut: boolean;
    readonly mlp: boolean;
    readonly lmHead: boolean;
  };
  /** Sliding-window attention (Mistral): query t sees keys s with t - s < window. Absent = full causal. */
  readonly slidingWindow?: number;
  /** A norm on the embeddings before block 0 (Bloom's word_embeddings_layernorm); absent = none. */
  readonly embeddingNorm?: boolean;
  /**
   * Which layers attend through `slidingWindow` when only some do (config.json `layer_types`: Gemma 2/3,
   * Qwen2/3), one flag per layer; absent = every layer when `slidingWindow` is set (Mistral, Mixtral, Phi-3).
   */
  readonly slidingLayers?: readonly boolean[];
  /** The rotary of the sliding-window layers when it differs from `positional` (Gemma 3: rope_local_base_freq, unscaled). */
  readonly localRotary?: RotaryScheme;
  /** Soft-capping cap * tanh(x / cap) (Gemma 2): of the scaled attention scores before the mask, of the final logits. */
  readonly softCap?: { readonly attention?: number; readonly logits?: number };
  /**
   * Norms of q and k before rotary (the model's norm kind and eps): `head` per head over head_dim
   * (Qwen3, Gemma 3), `projection` over the whole projection before the head split (OLMo 2).
   */
  readonly qkNorm?: 'head' | 'projection';
  /**
   * The norms around each sublayer: `input` before it (every family but OLMo 2), `output` on its
   * output before the residual add (Gemma 2/3 both, OLMo 2 output only). Absent = input only.
   */
  readonly sublayerNorms?: { readonly input: boolean; readonly output: boolean };
  /** A sparse mixture of `mlp`-kind experts of width dMlp instead of one MLP (Mixtral). */
  readonly moe?: MixtureOfExperts;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  // Variants of Gu et al.'s sink-emergence experiments (model_type "sinkscope"): optional, absent = the
  // standard block (defaults and accessors in families/arch-defaults.ts).
  /** Default `pre`. `post` needs the sequential layout; the final norm applies in both. */
  readonly normPlacement?: NormPlacement;
  /** Default `softmax`. */
  readonly attentionOp?: AttentionOp;
  /**
   * A learnable embedding prepended as row 0 of every sequence (Gu et al. 2025, sec. 7.1), after the
   * position embeddings (it gets none; rotary/ALiBi count it as position 0). Every hook after the
   * embeddings has one row more than the input (`hookRows`); the logits do not.
   */
  readonly sinkToken?: boolean;
  /** An extra key/value slot per head; absent = none. */
  readonly attentionSlot?: AttentionSlot;
  /** Prefix-LM mask: the first `prefixLength` positions also see each other bidirectionally (Raffel et al. 2020). */
  readonly prefixLength?: number;
  /** Blocks (0-based) without the attention sublayer: MLP only (norm, q/k/v/o and their hooks absent). */
  readonly attentionFreeLayers?: readonly number[];
  /** Blocks (0-based) without the MLP sublayer. */
  readonly mlpFreeLayers?: readonly number[];
}

/** Norm parameters of one norm over the model width. */
function normParameters(a: ArchSpec, width = a.dModel): number {
  return a.norm.kind === 'layernorm' ? 2 * width : width;
}

/** The sublayer norms a layer holds (see ArchSpec.sublayerNorms; Phi's shared norm counts once). */
export function sublayerNormsOf(a: ArchSpec): { readonly input: boolean; readonly output: boolean } {
  return a.sublayerNorms ?? { input: true, output: false };
}

/**
 * Parameters of one block with both sublayers, as loaded (every expert of an MoE block; the slot vectors
 * of `attentionSlot`). Blocks in attentionFreeLayers / mlpFreeLayers hold less: an upper bound for them.
 */
export function layerParameterCount(a: ArchSpec): number {
  const attention = attentionParameters(a);
  const mlp = mlpParameters(a);
  const norms = sublayerNormsOf(a);
  let n = attention + mlp;
  if (norms.input) n += (a.residual === 'parallel-shared-norm' ? 1 : 2) * normParameters(a);
  if (norms.output) n += 2 * normParameters(a);
  return n;
}

/** Attention sublayer parameters of one block without its norms: projections, biases, q/k norms, slot vectors. */
function attentionParameters(a: ArchSpec): number {
  const d = a.dModel;
  const qDim = a.nHeads * a.headDim;
  const kvDim = a.nKvHeads * a.headDim;
  let n = d * qDim + 2 * d * kvDim + qDim * d;
  if (a.bias.qkv) n += qDim + 2 * kvDim;
  if (a.bias.attnOut) n += d;
  if (a.qkNorm === 'head') n += 2 * normParameters(a, a.headDim);
  if (a.qkNorm === 'projection') n += normParameters(a, qDim) + normParameters(a, kvDim);
  if (a.attentionSlot) n += a.attentionSlot === 'kv' ? 2 * qDim : qDim; // k* and/or v*, [H*hd] each
  return n;
}

/** MLP sublayer parameters of one block without its norm (every expert and the router of an MoE block). */
function mlpParameters(a: ArchSpec): number {
  const d = a.dModel;
  const mlp = (a.mlp.kind === 'gated' ? 3 : 2) * d * a.dMlp + (a.bias.mlp ? a.dMlp + d : 0);
  return a.moe ? a.moe.experts * mlp + d * a.moe.experts : mlp;
}

/** Parameters before block 0: token table, learned positions, embedding norm, sink token. */
export function embeddingParameterCount(a: ArchSpec): number {
  let n = a.vocabSize * a.dModel;
  if (a.positional.kind === 'learned') n += (a.maxPositions + a.positional.offset) * a.dModel;
  if (a.embeddingNorm) n += normParameters(a);
  if (a.sinkToken) n += a.dModel;
  return n;
}

/** Parameters after the last block: final norm and LM head (its weight counted even when tied). */
export function headParameterCount(a: ArchSpec): number {
  return normParameters(a) + a.vocabSize * a.dModel + (a.bias.lmHead ? a.vocabSize : 0);
}

/** Parameter count of an ArchSpec as loaded (tied embeddings counted once; blocks without attention or MLP less their sublayer). */
export function parameterCount(a: ArchSpec): number {
  const tied = a.tiedEmbeddings ? a.vocabSize * a.dModel : 0;
  const norms = sublayerNormsOf(a);
  const sublayerNorms = ((norms.input ? 1 : 0) + (norms.output ? 1 : 0)) * normParameters(a);
  const removed =
    (a.attentionFreeLayers?.length ?? 0) * (attentionParameters(a) + sublayerNorms) +
    (a.mlpFreeLayers?.length ?? 0) * (mlpParameters(a) + sublayerNorms);
  return embeddingParameterCount(a) + a.nLayers * layerParameterCount(a) + headParameterCount(a) - tied - removed;
}
