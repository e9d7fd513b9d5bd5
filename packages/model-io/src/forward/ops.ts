import type { Activation, AttentionOp, NormKind, RotaryScheme } from '../arch-spec.js';
import type { HookName } from '../hooks.js';
import type { Linear, Norm } from '../weights.js';

/** How one layer's attention scores are formed from q.k and turned into weights. */
export interface AttentionScores {
  /** Multiplier on q.k (1/sqrt(head_dim) in most families). */
  readonly scale: number;
  /** Sliding-window attention: query t sees keys s with t - window < s <= t. Absent = full causal. */
  readonly slidingWindow?: number;
  /**
   * ALiBi: slope_h x key position added to head h's scaled scores (one slope per query head; transformers'
   * bloom `baddbmm(alibi, q, k^T, alpha=1/sqrt(hd))`: the bias is not scaled).
   */
  readonly alibiSlopes?: readonly number[];
  /** Weights from scores (default softmax; ArchSpec.attentionOp). */
  readonly op?: AttentionOp;
  /** Prefix-LM: rows 0..prefixLength-1 of the real tokens also see each other (ArchSpec.prefixLength). */
  readonly prefixLength?: number;
  /** Leading rows every query sees (a learnable sink token: 1); the real tokens follow them. */
  readonly sinkRows?: number;
  /** Gemma 2 soft-capping cap * tanh(s / cap) of the scaled (and biased) scores, before the mask. */
  readonly softCap?: number;
}

/**
 * The small op set the forward pass is written against. The tfjs engine executes it eagerly; a graph
 * engine implements the same interface by emitting nodes, so the engines cannot drift apart.
 * `T` is an activation handle, `W` a weight handle. Shapes: B batch, T positions, d model width,
 * H query heads, Hkv key/value heads, hd head width.
 */
export interface ForwardOps<T, W> {
  /** Token embeddings of the run's input ids times `scale`: [B,T,d]. */
  embedTokens(table: W, scale: number): T;
  /** Learned absolute position embeddings for positions offset..offset+T-1: broadcastable to [B,T,d]. */
  embedPositions(table: W, offset: number): T;
  add(a: T, b: T): T;
  /** x W + b over the last axis; W is [in, out]. */
  linear(x: T, weights: Linear<W>): T;
  norm(x: T, weights: Norm<W>, kind: NormKind, eps: number): T;
  activation(x: T, kind: Activation): T;
  mul(a: T, b: T): T;
  /** [B,T,heads*hd] -> [B,T,heads,hd] */
  splitHeads(x: T, heads: number, headDim: number): T;
  /** Half-split rotary on the first `rotaryDim` dims of each head of [B,T,heads,hd], positions 0..T-1 (rotaryTables). */
  rotary(x: T, scheme: RotaryScheme): T;
  /**
   * Causal attention weights [B,H,T,T] (softmax probabilities unless `scores.op` says otherwise) from
   * q [B,T,H,hd] and k [B,T,Hkv,hd] (kv head j serves query heads j*g..(j+1)*g-1), scores formed as
   * `scores` says, padding keys masked.
   */
  attentionPattern(q: T, k: T, scores: AttentionScores): T;
  /** pattern [B,H,T,T] x v [B,T,Hkv,hd] -> [B,T,H*hd] */
  attend(pattern: T, v: T): T;
  /**
   * Attention with one extra key slot every query sees (ArchSpec.attentionSlot), weights formed over
   * [slot, keys] as `scores` says; `slotKey` [H*hd] is the slot's key (undefined: a zero key).
   * Returns the real keys' weights [B,H,T,T] and the slot's [B,H,T,1].
   */
  slottedAttentionPattern(q: T, k: T, scores: AttentionScores, slotKey: W | undefined): { pattern: T; slot: T };
  /** The slot's value in each head's output: slot [B,H,T,1] x v* [H*hd] -> [B,T,H*hd]. */
  attendSlot(slot: T, slotValue: W): T;
  /** A learned row [d] prepended to every sequence: [B,T,d] -> [B,1+T,d] (ArchSpec.sinkToken). */
  prependRow(x: T, row: W): T;
  /** Drop the first `count` rows: [B,count+T,...] -> [B,T,...]. */
  dropRows(x: T, count: number): T;
  /** Softmax over the last axis. */
  softmax(x: T): T;
  /** cap * tanh(x / cap), elementwise (Gemma 2's soft-capping). */
  softCap(x: T, cap: number): T;
  /**
   * Mixture weights [B,T,E] from router probabilities [B,T,E]: the `k` largest kept (divided by their
   * sum when `renormalize`), every other expert's weight exactly 0.
   */
  topKWeights(probs: T, k: number, renormalize: boolean): T;
  /** x[..., index] of [..., n], keeping the axis: [..., 1]. */
  lastAxisSlice(x: T, index: number): T;
  /** A hook point: the engine may capture `x` and/or replace it (interventions). */
  hook(name: HookName, x: T): T;
}
