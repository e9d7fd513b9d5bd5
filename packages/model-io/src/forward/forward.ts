import type { ArchSpec } from '../arch-spec.js';
import { hasAttention, hasMlp, sinkRows } from '../families/arch-defaults.js';
import type { EmbeddingWeights, LayerWeights, Linear, ModelWeights } from '../weights.js';
import type { AttentionScores, ForwardOps } from './ops.js';
import { alibiSlopes } from './position-tables.js';

/**
 * The one forward pass of every supported decoder-only family, in float32, reading top to bottom.
 * Split into embed / block / head so an engine can stream a checkpoint block by block.
 */
export function embed<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: EmbeddingWeights<W>): T {
  let x = ops.hook('hook_embed', ops.embedTokens(w.embed, arch.embeddingScale)); // [B,T,d]
  if (arch.positional.kind === 'learned') {
    if (w.posEmbed === undefined) throw new Error('learned positions need a position embedding table');
    x = ops.add(x, ops.hook('hook_pos_embed', ops.embedPositions(w.posEmbed, arch.positional.offset))); // [B,T,d]
  }
  if (arch.embeddingNorm) {
    // Bloom: word_embeddings_layernorm; its output is hidden_states[0] (blocks.0.hook_resid_pre)
    if (w.embedNorm === undefined) throw new Error('an embedding norm needs its weights');
    x = ops.norm(x, w.embedNorm, arch.norm.kind, arch.norm.eps);
  }
  if (arch.sinkToken) x = ops.prependRow(x, required(w.sinkToken, 'a learnable sink token')); // [B,1+T,d], no position of its own
  return x;
}

function required<W>(weight: W | undefined, what: string): W {
  if (weight === undefined) throw new Error(`${what} needs its weights`);
  return weight;
}

/** How attention scores are formed and weighted (scale, window, ALiBi, operation, prefix-LM, sink rows). */
function attentionScores(arch: ArchSpec): AttentionScores {
  return {
    scale: arch.attnScale,
    ...(arch.slidingWindow !== undefined ? { slidingWindow: arch.slidingWindow } : {}),
    ...(arch.positional.kind === 'alibi' ? { alibiSlopes: alibiSlopes(arch.nHeads) } : {}),
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
  const weights = ops.slottedAttentionPattern(q, k, attentionScores(arch), slot === 'v' ? undefined : required(w.slotKey, 'an attention slot key'));
  const pattern = ops.hook(`${p}.hook_pattern`, weights.pattern); // [B,H,T,T]
  const slotWeight = ops.hook(`${p}.hook_slot`, weights.slot); // [B,H,T,1]
  const z = ops.attend(pattern, v); // [B,T,H*hd]
  return ops.linear(slot === 'k' ? z : ops.add(z, ops.attendSlot(slotWeight, required(w.slotValue, 'an attention slot value'))), o);
}

function attention<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, h: T): T {
  const p = `blocks.${l}.attn` as const;
  const [wq, wk, wv, wo] = [w.q, w.k, w.v, w.o].map((x) => required(x, `attention of block ${l}`));
  const rope = (x: T): T => (arch.positional.kind === 'rotary' ? ops.rotary(x, arch.positional.rotaryDim, arch.positional.base) : x);
  const q = ops.hook(`${p}.hook_q`, rope(ops.splitHeads(ops.linear(h, wq), arch.nHeads, arch.headDim))); // [B,T,H,hd]
  const k = ops.hook(`${p}.hook_k`, rope(ops.splitHeads(ops.linear(h, wk), arch.nKvHeads, arch.headDim))); // [B,T,Hkv,hd]
  const v = ops.hook(`${p}.hook_v`, ops.splitHeads(ops.linear(h, wv), arch.nKvHeads, arch.headDim)); // [B,T,Hkv,hd]
  if (arch.attentionSlot) return slottedAttention(ops, arch, w, l, q, k, v, wo);
  const pattern = ops.hook(`${p}.hook_pattern`, ops.attentionPattern(q, k, attentionScores(arch))); // [B,H,T,T]
  return ops.linear(ops.attend(pattern, v), wo); // [B,T,H*hd] -> [B,T,d]
}

function mlp<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, h: T): T {
  const act = arch.mlp.activation;
  const [up, down] = [w.up, w.down].map((x) => required(x, 'an MLP'));
  if (arch.mlp.kind === 'gated') {
    if (!w.gate) throw new Error('gated MLP needs gate weights');
    const hidden = ops.mul(ops.activation(ops.linear(h, w.gate), act), ops.linear(h, up)); // [B,T,dMlp]
    return ops.linear(hidden, down); // [B,T,d]
  }
  return ops.linear(ops.activation(ops.linear(h, up), act), down); // [B,T,d]
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
  if (hasMlp(arch, l)) x = sublayer(x, w.ln2, (h) => ops.hook(`${b}.hook_mlp_out`, mlp(ops, arch, w, h)));
  return ops.hook(`${b}.hook_resid_post`, x); // [B,T,d]
}

export function block<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, input: T): T {
  if (arch.normPlacement === 'post' || !hasAttention(arch, l) || !hasMlp(arch, l)) return variantBlock(ops, arch, w, l, input);
  const b = `blocks.${l}` as const;
  const { kind, eps } = arch.norm;
  const x = ops.hook(`${b}.hook_resid_pre`, input); // [B,T,d]
  const h1 = ops.norm(x, required(w.ln1, `block ${l}'s first norm`), kind, eps);
  const attnOut = ops.hook(`${b}.hook_attn_out`, attention(ops, arch, w, l, h1));
  let out: T;
  switch (arch.residual) {
    case 'sequential': {
      const mid = ops.hook(`${b}.hook_resid_mid`, ops.add(x, attnOut));
      if (!w.ln2) throw new Error('sequential blocks need a second norm');
      const mlpOut = ops.hook(`${b}.hook_mlp_out`, mlp(ops, arch, w, ops.norm(mid, w.ln2, kind, eps)));
      out = ops.add(mid, mlpOut);
      break;
    }
    case 'parallel': {
      // GPT-NeoX use_parallel_residual: x + attn(ln1(x)) + mlp(ln2(x))
      if (!w.ln2) throw new Error('parallel blocks need a second norm');
      const mlpOut = ops.hook(`${b}.hook_mlp_out`, mlp(ops, arch, w, ops.norm(x, w.ln2, kind, eps)));
      out = ops.add(ops.add(mlpOut, attnOut), x);
      break;
    }
    case 'parallel-shared-norm': {
      // Phi: x + attn(ln(x)) + mlp(ln(x))
      const mlpOut = ops.hook(`${b}.hook_mlp_out`, mlp(ops, arch, w, h1));
      out = ops.add(ops.add(attnOut, mlpOut), x);
      break;
    }
  }
  return ops.hook(`${b}.hook_resid_post`, out); // [B,T,d]
}

export function head<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: Pick<ModelWeights<W>, 'lnFinal' | 'lmHead'>, x: T): T {
  const normalized = ops.hook('ln_final.hook_normalized', ops.norm(x, w.lnFinal, arch.norm.kind, arch.norm.eps)); // [B,T,d]
  const tokens = arch.sinkToken ? ops.dropRows(normalized, sinkRows(arch)) : normalized; // the sink token predicts nothing
  return ops.hook('logits', ops.linear(tokens, w.lmHead)); // [B,T,V]
}

/** Embeddings -> every block -> final norm -> logits. */
export function forward<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: ModelWeights<W>, lastLayer = arch.nLayers - 1): T {
  let x = embed(ops, arch, w);
  for (let l = 0; l <= lastLayer; l++) x = block(ops, arch, w.layers[l], l, x);
  return lastLayer === arch.nLayers - 1 ? head(ops, arch, w, x) : x;
}
