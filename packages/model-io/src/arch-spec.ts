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
  return total;
}
