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
  | { readonly kind: 'rotary'; readonly rotaryDim: number; readonly base: number }
  /**
   * ALiBi (Press et al. 2022): no position embedding; slope_h x key position added to head h's scaled
   * scores, slopes from the head count as transformers' bloom `build_alibi_tensor` (`alibiSlopes`).
   */
  | { readonly kind: 'alibi' };

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

/** Parameter count of an ArchSpec as loaded (tied embeddings counted once). */
export function parameterCount(a: ArchSpec): number {
  const d = a.dModel;
  const qDim = a.nHeads * a.headDim;
  const kvDim = a.nKvHeads * a.headDim;
  const normParams = a.norm.kind === 'layernorm' ? 2 * d : d;
  let perLayer = d * qDim + 2 * d * kvDim + qDim * d;
  if (a.bias.qkv) perLayer += qDim + 2 * kvDim;
  if (a.bias.attnOut) perLayer += d;
  perLayer += (a.mlp.kind === 'gated' ? 3 : 2) * d * a.dMlp;
  if (a.bias.mlp) perLayer += a.dMlp + d;
  perLayer += (a.residual === 'parallel-shared-norm' ? 1 : 2) * normParams;
  let total = a.nLayers * perLayer + a.vocabSize * d + normParams;
  if (a.embeddingNorm) total += normParams;
  if (a.positional.kind === 'learned') total += (a.maxPositions + a.positional.offset) * d;
  if (!a.tiedEmbeddings) total += a.vocabSize * d;
  if (a.bias.lmHead) total += a.vocabSize;
  return total + variantParameterDelta(a);
}

/** What the sink-emergence variants add (sink token, slot vectors) or remove (blocks without attention or MLP). */
function variantParameterDelta(a: ArchSpec): number {
  const d = a.dModel;
  const qDim = a.nHeads * a.headDim;
  const kvDim = a.nKvHeads * a.headDim;
  const normParams = a.norm.kind === 'layernorm' ? 2 * d : d;
  const attention = d * qDim + 2 * d * kvDim + qDim * d + (a.bias.qkv ? qDim + 2 * kvDim : 0) + (a.bias.attnOut ? d : 0) + normParams;
  const mlp = (a.mlp.kind === 'gated' ? 3 : 2) * d * a.dMlp + (a.bias.mlp ? a.dMlp + d : 0) + normParams;
  const attentionFree = a.attentionFreeLayers?.length ?? 0;
  let delta = -attentionFree * attention - (a.mlpFreeLayers?.length ?? 0) * mlp;
  if (a.sinkToken) delta += d;
  if (a.attentionSlot) delta += (a.nLayers - attentionFree) * (a.attentionSlot === 'kv' ? 2 * qDim : qDim); // k* and/or v*, [H*hd] each
  return delta;
}
