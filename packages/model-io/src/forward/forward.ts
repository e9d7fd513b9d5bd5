import { sublayerNormsOf, type ArchSpec, type RotaryScheme } from '../arch-spec.js';
import { hasAttention, hasMlp, sinkRows } from '../families/arch-defaults.js';
import type { EmbeddingWeights, LayerWeights, Linear, MlpWeights, ModelWeights, Norm } from '../weights.js';
import type { AttentionScores, ForwardOps } from './ops.js';
import { alibiSlopes, rotaryDependsOnLength } from './position-tables.js';

/**
 * The one forward pass of every supported decoder-only family, in float32, reading top to bottom.
 * Split into embed / block / head so an engine can stream a checkpoint block by block. Each family
 * feature is an ArchSpec field read here once (see arch-spec.ts for which families set it).
 */
export function embed<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: EmbeddingWeights<W>): T {
  let x = ops.hook('hook_embed', ops.embedTokens(w.embed, arch.embeddingScale)); // [B,T,d]
  if (arch.positional.kind === 'learned') {
    if (w.posEmbed === undefined) throw new Error('learned positions need a position embedding table');
    x = ops.add(x, ops.hook('hook_pos_embed', ops.embedPositions(w.posEmbed, arch.positional.offset))); // [B,T,d]
  }
  if (arch.embeddingNorm) {
    // Bloom: word_embeddings_layernorm; its output is hidden_states[0] (blocks.0.hook_resid_pre)
    x = ops.norm(x, required(w.embedNorm, 'an embedding norm'), arch.norm.kind, arch.norm.eps);
  }
  if (arch.sinkToken) x = ops.prependRow(x, required(w.sinkToken, 'a learnable sink token')); // [B,1+T,d], no position of its own
  return x;
}

/** Whether layer `l` attends through the sliding window (every layer unless `slidingLayers` says which). */
export function isSlidingLayer(arch: ArchSpec, l: number): boolean {
  return arch.slidingWindow !== undefined && (arch.slidingLayers?.[l] ?? true);
}

/** The rotary scheme of layer `l` (Gemma 3's sliding layers have their own), or undefined without rotary. */
export function rotaryOf(arch: ArchSpec, l: number): RotaryScheme | undefined {
  if (arch.localRotary && isSlidingLayer(arch, l)) return arch.localRotary;
  return arch.positional.kind === 'rotary' ? arch.positional : undefined;
}

/**
 * Whether a sequence's numbers depend on the padded length of its batch (dynamic and longrope rotary
 * tables, as transformers makes them from max(position_ids) + 1): engines then batch alike throughout.
 */
export function positionsDependOnBatchLength(arch: ArchSpec): boolean {
  return [arch.positional.kind === 'rotary' ? arch.positional : undefined, arch.localRotary].some((r) => r !== undefined && rotaryDependsOnLength(r));
}

/** How layer `l` forms its attention scores and weights (scale, window, ALiBi, soft-cap, operation, prefix-LM, sink rows). */
function attentionScores(arch: ArchSpec, l: number): AttentionScores {
  return {
    scale: arch.attnScale,
    ...(isSlidingLayer(arch, l) ? { slidingWindow: arch.slidingWindow } : {}),
    ...(arch.positional.kind === 'alibi' ? { alibiSlopes: alibiSlopes(arch.nHeads) } : {}),
    ...(arch.softCap?.attention !== undefined ? { softCap: arch.softCap.attention } : {}),
    ...(arch.attentionOp !== undefined ? { op: arch.attentionOp } : {}),
    ...(arch.prefixLength !== undefined ? { prefixLength: arch.prefixLength } : {}),
    ...(arch.sinkToken ? { sinkRows: sinkRows(arch) } : {}),
  };
}

/**
 * Attention weights and output with one extra key/value slot (Gu et al. 2025, sec. 7.1): the slot
 * competes with the real keys for each query's weight; its value v* joins the output (k-only: v* = 0).
 */
function slottedAttention<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, q: T, k: T, v: T, o: Linear<W>): T {
  const p = `blocks.${l}.attn` as const;
  const slot = arch.attentionSlot;
  const weights = ops.slottedAttentionPattern(q, k, attentionScores(arch, l), slot === 'v' ? undefined : required(w.slotKey, 'an attention slot key'));
  const pattern = ops.hook(`${p}.hook_pattern`, weights.pattern); // [B,H,T,T]
  const slotWeight = ops.hook(`${p}.hook_slot`, weights.slot); // [B,H,T,1]
  const z = ops.attend(pattern, v); // [B,T,H*hd]
  return ops.linear(slot === 'k' ? z : ops.add(z, ops.attendSlot(slotWeight, required(w.slotValue, 'an attention slot value'))), o);
}

function attention<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, h: T): T {
  const p = `blocks.${l}.attn` as const;
  const { kind, eps } = arch.norm;
  const scheme = rotaryOf(arch, l);
  const rope = (x: T): T => (scheme ? ops.rotary(x, scheme) : x);
  const [wq, wk, wv, wo] = [w.q, w.k, w.v, w.o].map((x) => required(x, `attention of block ${l}`));
  let q = ops.linear(h, wq); // [B,T,H*hd]
  let k = ops.linear(h, wk); // [B,T,Hkv*hd]
  // OLMo 2: q_norm / k_norm over the whole projection, before the head split
  if (arch.qkNorm === 'projection') [q, k] = [ops.norm(q, required(w.qNorm, 'q norm'), kind, eps), ops.norm(k, required(w.kNorm, 'k norm'), kind, eps)];
  q = ops.splitHeads(q, arch.nHeads, arch.headDim); // [B,T,H,hd]
  k = ops.splitHeads(k, arch.nKvHeads, arch.headDim); // [B,T,Hkv,hd]
  // Qwen3 / Gemma 3: q_norm / k_norm over head_dim, per head, before rotary
  if (arch.qkNorm === 'head') [q, k] = [ops.norm(q, required(w.qNorm, 'q norm'), kind, eps), ops.norm(k, required(w.kNorm, 'k norm'), kind, eps)];
  q = ops.hook(`${p}.hook_q`, rope(q));
  k = ops.hook(`${p}.hook_k`, rope(k));
  const v = ops.hook(`${p}.hook_v`, ops.splitHeads(ops.linear(h, wv), arch.nKvHeads, arch.headDim)); // [B,T,Hkv,hd]
  if (arch.attentionSlot) return slottedAttention(ops, arch, w, l, q, k, v, wo);
  const pattern = ops.hook(`${p}.hook_pattern`, ops.attentionPattern(q, k, attentionScores(arch, l))); // [B,H,T,T]
  return ops.linear(ops.attend(pattern, v), wo); // [B,T,H*hd] -> [B,T,d]
}

function denseMlp<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: MlpWeights<W>, h: T): T {
  const act = arch.mlp.activation;
  if (arch.mlp.kind === 'gated') {
    const hidden = ops.mul(ops.activation(ops.linear(h, required(w.gate, 'gated MLP gate')), act), ops.linear(h, w.up)); // [B,T,dMlp]
    return ops.linear(hidden, w.down); // [B,T,d]
  }
  return ops.linear(ops.activation(ops.linear(h, w.up), act), w.down); // [B,T,d]
}

/**
 * A sequential block of the sink-emergence variants: post-norm (x = norm(x + f(x)), Vaswani et al.
 * 2017) and/or without its attention or MLP sublayer (the sublayer and its hooks are absent).
 */
function variantBlock<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, input: T): T {
  const b = `blocks.${l}` as const;
  if (arch.residual !== 'sequential') throw new Error(`block ${l}: post-norm and blocks without attention or MLP need the sequential residual layout`);
  const { kind, eps } = arch.norm;
  const post = arch.normPlacement === 'post';
  const sublayer = (x: T, norm: LayerWeights<W>['ln1'], f: (h: T) => T): T => {
    const n = required(norm, `block ${l}'s norm`);
    return post ? ops.norm(ops.add(x, f(x)), n, kind, eps) : ops.add(x, f(ops.norm(x, n, kind, eps)));
  };
  let x = ops.hook(`${b}.hook_resid_pre`, input); // [B,T,d]
  if (hasAttention(arch, l)) x = ops.hook(`${b}.hook_resid_mid`, sublayer(x, w.ln1, (h) => ops.hook(`${b}.hook_attn_out`, attention(ops, arch, w, l, h))));
  if (hasMlp(arch, l)) x = sublayer(x, w.ln2, (h) => ops.hook(`${b}.hook_mlp_out`, mlp(ops, arch, w, l, h)));
  return ops.hook(`${b}.hook_resid_post`, x); // [B,T,d]
}

/**
 * Mixtral's sparse MoE (transformers v4.57.1 modeling_mixtral.py MixtralSparseMoeBlock): router
 * probabilities softmax(gate(x)) over every expert (the hook), the top k kept and renormalised, the
 * output the weighted sum of the chosen experts. Every expert runs on every token and the others get
 * weight exactly 0, so the sum equals the sparse one term for term (it costs experts / k times the arithmetic).
 */
function sparseMoe<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, h: T): T {
  const moe = required(arch.moe, 'MoE settings');
  const { router, experts } = required(w.moe, 'MoE weights');
  const probs = ops.hook(`blocks.${l}.mlp.hook_router_probs`, ops.softmax(ops.linear(h, router))); // [B,T,E]
  const weights = ops.topKWeights(probs, moe.topK, moe.renormalize); // [B,T,E]
  let out: T | undefined;
  experts.forEach((expert, e) => {
    const y = ops.mul(denseMlp(ops, arch, expert, h), ops.lastAxisSlice(weights, e)); // [B,T,d]
    out = out === undefined ? y : ops.add(out, y);
  });
  return required(out, 'at least one expert');
}

function mlp<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, h: T): T {
  if (arch.moe) return sparseMoe(ops, arch, w, l, h);
  return denseMlp(ops, arch, { ...(w.gate ? { gate: w.gate } : {}), up: required(w.up, 'MLP up'), down: required(w.down, 'MLP down') }, h);
}

export function block<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, input: T): T {
  if (arch.normPlacement === 'post' || !hasAttention(arch, l) || !hasMlp(arch, l)) return variantBlock(ops, arch, w, l, input);
  const b = `blocks.${l}` as const;
  const { kind, eps } = arch.norm;
  const norms = sublayerNormsOf(arch);
  /** A sublayer's input: normed (pre-norm) unless the family norms only outputs (OLMo 2). */
  const normIn = (x: T, n: Norm<W> | undefined, what: string): T => (norms.input ? ops.norm(x, required(n, what), kind, eps) : x);
  /** A sublayer's output: normed before the residual add (Gemma 2/3, OLMo 2). */
  const normOut = (x: T, n: Norm<W> | undefined, what: string): T => (norms.output ? ops.norm(x, required(n, what), kind, eps) : x);
  const x = ops.hook(`${b}.hook_resid_pre`, input); // [B,T,d]
  const h1 = normIn(x, w.ln1, 'the attention input norm');
  const attnOut = ops.hook(`${b}.hook_attn_out`, normOut(attention(ops, arch, w, l, h1), w.postAttnNorm, 'the attention output norm'));
  let out: T;
  switch (arch.residual) {
    case 'sequential': {
      const mid = ops.hook(`${b}.hook_resid_mid`, ops.add(x, attnOut));
      const mlpOut = ops.hook(`${b}.hook_mlp_out`, normOut(mlp(ops, arch, w, l, normIn(mid, w.ln2, 'the MLP input norm')), w.postMlpNorm, 'the MLP output norm'));
      out = ops.add(mid, mlpOut);
      break;
    }
    case 'parallel': {
      // GPT-NeoX use_parallel_residual: x + attn(ln1(x)) + mlp(ln2(x))
      const mlpOut = ops.hook(`${b}.hook_mlp_out`, mlp(ops, arch, w, l, normIn(x, w.ln2, 'the MLP input norm')));
      out = ops.add(ops.add(mlpOut, attnOut), x);
      break;
    }
    case 'parallel-shared-norm': {
      // Phi: x + attn(ln(x)) + mlp(ln(x))
      const mlpOut = ops.hook(`${b}.hook_mlp_out`, mlp(ops, arch, w, l, h1));
      out = ops.add(ops.add(attnOut, mlpOut), x);
      break;
    }
  }
  return ops.hook(`${b}.hook_resid_post`, out); // [B,T,d]
}

export function head<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: Pick<ModelWeights<W>, 'lnFinal' | 'lmHead'>, x: T): T {
  const normalized = ops.hook('ln_final.hook_normalized', ops.norm(x, w.lnFinal, arch.norm.kind, arch.norm.eps)); // [B,T,d]
  const tokens = arch.sinkToken ? ops.dropRows(normalized, sinkRows(arch)) : normalized; // the sink token predicts nothing
  const logits = ops.linear(tokens, w.lmHead); // [B,T,V]
  // Gemma 2: final_logit_softcapping
  return ops.hook('logits', arch.softCap?.logits !== undefined ? ops.softCap(logits, arch.softCap.logits) : logits);
}

/** Embeddings -> every block -> final norm -> logits. */
export function forward<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: ModelWeights<W>, lastLayer = arch.nLayers - 1): T {
  let x = embed(ops, arch, w);
  for (let l = 0; l <= lastLayer; l++) x = block(ops, arch, w.layers[l], l, x);
  return lastLayer === arch.nLayers - 1 ? head(ops, arch, w, x) : x;
}

/** A weight or setting the ArchSpec implies; its absence is an adapter bug. */
function required<X>(x: X | undefined, what: string): X {
  if (x === undefined) throw new Error(`forward: ${what} is missing`);
  return x;
}
