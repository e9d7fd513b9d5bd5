import type { ArchSpec } from '../arch-spec.js';
import type { EmbeddingWeights, LayerWeights, ModelWeights } from '../weights.js';
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
  return x;
}

/** How attention scores are formed (scale, window, ALiBi). */
function attentionScores(arch: ArchSpec): AttentionScores {
  return {
    scale: arch.attnScale,
    ...(arch.slidingWindow !== undefined ? { slidingWindow: arch.slidingWindow } : {}),
    ...(arch.positional.kind === 'alibi' ? { alibiSlopes: alibiSlopes(arch.nHeads) } : {}),
  };
}

function attention<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, h: T): T {
  const p = `blocks.${l}.attn` as const;
  const rope = (x: T): T => (arch.positional.kind === 'rotary' ? ops.rotary(x, arch.positional.rotaryDim, arch.positional.base) : x);
  const q = ops.hook(`${p}.hook_q`, rope(ops.splitHeads(ops.linear(h, w.q), arch.nHeads, arch.headDim))); // [B,T,H,hd]
  const k = ops.hook(`${p}.hook_k`, rope(ops.splitHeads(ops.linear(h, w.k), arch.nKvHeads, arch.headDim))); // [B,T,Hkv,hd]
  const v = ops.hook(`${p}.hook_v`, ops.splitHeads(ops.linear(h, w.v), arch.nKvHeads, arch.headDim)); // [B,T,Hkv,hd]
  const pattern = ops.hook(`${p}.hook_pattern`, ops.attentionPattern(q, k, attentionScores(arch))); // [B,H,T,T]
  return ops.linear(ops.attend(pattern, v), w.o); // [B,T,H*hd] -> [B,T,d]
}

function mlp<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, h: T): T {
  const act = arch.mlp.activation;
  if (arch.mlp.kind === 'gated') {
    if (!w.gate) throw new Error('gated MLP needs gate weights');
    const hidden = ops.mul(ops.activation(ops.linear(h, w.gate), act), ops.linear(h, w.up)); // [B,T,dMlp]
    return ops.linear(hidden, w.down); // [B,T,d]
  }
  return ops.linear(ops.activation(ops.linear(h, w.up), act), w.down); // [B,T,d]
}

export function block<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: LayerWeights<W>, l: number, input: T): T {
  const b = `blocks.${l}` as const;
  const { kind, eps } = arch.norm;
  const x = ops.hook(`${b}.hook_resid_pre`, input); // [B,T,d]
  const h1 = ops.norm(x, w.ln1, kind, eps);
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
  return ops.hook('logits', ops.linear(normalized, w.lmHead)); // [B,T,V]
}

/** Embeddings -> every block -> final norm -> logits. */
export function forward<T, W>(ops: ForwardOps<T, W>, arch: ArchSpec, w: ModelWeights<W>, lastLayer = arch.nLayers - 1): T {
  let x = embed(ops, arch, w);
  for (let l = 0; l <= lastLayer; l++) x = block(ops, arch, w.layers[l], l, x);
  return lastLayer === arch.nLayers - 1 ? head(ops, arch, w, x) : x;
}
