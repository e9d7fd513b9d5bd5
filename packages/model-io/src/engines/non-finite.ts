import type { HostArray } from '../host-array.js';
import { hookNames, hookRows, type BlockHook, type HookName } from '../hooks.js';
import type { ArchSpec } from '../arch-spec.js';

/**
 * A NaN or infinity in captured activations (a float overflow, e.g. an fp16-trained layer whose
 * activations exceed float32, or weights that blow up): reported at the first captured hook, in
 * forward order, where one appears, instead of flowing silently into norms, entropies and sink rates.
 */
export class NonFiniteActivationError extends Error {
  constructor(
    readonly hook: HookName,
    /** The block the hook belongs to; -1 before the first block, nLayers after the last. */
    readonly layer: number,
    readonly sequence: number,
    /** Token position (for attention patterns: the query). */
    readonly position: number,
    readonly value: number,
    message: string,
  ) {
    super(message);
    this.name = 'NonFiniteActivationError';
  }
}

/** Where each block hook is computed within its block (hookNames lists resid_mid/post first). */
const FORWARD_RANK: Record<BlockHook, number> = {
  hook_resid_pre: 0,
  'attn.hook_q': 1,
  'attn.hook_k': 2,
  'attn.hook_v': 3,
  'attn.hook_pattern': 4,
  'attn.hook_slot': 4.5,
  hook_attn_out: 5,
  hook_resid_mid: 6,
  'mlp.hook_router_probs': 7,
  hook_mlp_out: 8,
  hook_resid_post: 9,
};

/** The model's hooks in the order the forward pass computes them. */
export function hooksInForwardOrder(arch: ArchSpec): HookName[] {
  const rank = (h: HookName): number => {
    const m = /^blocks\.(\d+)\.(.+)$/.exec(h);
    if (m) return 10 * (Number(m[1]) + 1) + FORWARD_RANK[m[2] as BlockHook];
    return h === 'hook_embed' ? 0 : h === 'hook_pos_embed' ? 1 : h === 'ln_final.hook_normalized' ? 10 * (arch.nLayers + 1) : 10 * (arch.nLayers + 1) + 1;
  };
  return hookNames(arch).sort((a, b) => rank(a) - rank(b));
}

/** The block index of a hook: -1 for the embeddings, nLayers for ln_final and the logits. */
export function layerOfHook(hook: HookName, nLayers: number): number {
  const m = /^blocks\.(\d+)\./.exec(hook);
  if (m) return Number(m[1]);
  return hook === 'hook_embed' || hook === 'hook_pos_embed' ? -1 : nLayers;
}

function describeLayer(layer: number, nLayers: number): string {
  return layer < 0 ? 'the embeddings' : layer >= nLayers ? 'after the last layer' : `layer ${layer}`;
}

/**
 * Check every captured hook for NaN or +-Infinity at real (unpadded) positions, hooks in forward
 * order; throws a NonFiniteActivationError naming the first hook, its layer, the sequence, position
 * and value. `lengths` are the sequences' token counts (a ragged batch is padded to the longest).
 * Shapes: [B, T, ...] for every hook except attention patterns, [B, H, T, T].
 */
export function assertFiniteActivations(arch: ArchSpec, outputs: ReadonlyMap<HookName, HostArray>, lengths: readonly number[], model: string): void {
  for (const hook of hooksInForwardOrder(arch)) {
    const t = outputs.get(hook);
    if (t === undefined) continue;
    const rows = lengths.map((n) => hookRows(arch, hook, n)); // a sink-token model has one row more inside its blocks
    const found = /attn\.hook_(pattern|slot)$/.test(hook) ? firstNonFinitePattern(t, rows) : firstNonFiniteTokens(t, rows);
    if (found === undefined) continue;
    const layer = layerOfHook(hook, arch.nLayers);
    throw new NonFiniteActivationError(
      hook,
      layer,
      found.sequence,
      found.position,
      found.value,
      `${model}: non-finite activation ${found.value} in ${hook} (${describeLayer(layer, arch.nLayers)}) at sequence ${found.sequence}, ` +
        `position ${found.position}${found.detail}: the first captured hook, in forward order, that holds one ` +
        `(a float32 overflow in ${describeLayer(layer, arch.nLayers)}?); stopped before it reached any measurement`,
    );
  }
}

interface Found {
  sequence: number;
  position: number;
  value: number;
  detail: string;
}

function firstNonFiniteTokens(t: HostArray, lengths: readonly number[]): Found | undefined {
  const [batch, seqLen] = t.shape;
  const inner = t.shape.slice(2).reduce((a, b) => a * b, 1);
  for (let b = 0; b < batch; b++) {
    const n = Math.min(lengths[b] ?? seqLen, seqLen) * inner;
    const base = b * seqLen * inner;
    for (let i = 0; i < n; i++) {
      const v = t.data[base + i];
      if (!Number.isFinite(v)) return { sequence: b, position: Math.floor(i / inner), value: v, detail: inner > 1 ? `, element ${i % inner}` : '' };
    }
  }
  return undefined;
}

/** [B,H,T,keys]: attention patterns (keys = T) and an attention slot's weights (keys = 1). */
function firstNonFinitePattern(t: HostArray, lengths: readonly number[]): Found | undefined {
  const [batch, heads, seqLen, keys] = t.shape;
  for (let b = 0; b < batch; b++) {
    const n = Math.min(lengths[b] ?? seqLen, seqLen);
    for (let h = 0; h < heads; h++) {
      for (let q = 0; q < n; q++) {
        const row = ((b * heads + h) * seqLen + q) * keys;
        for (let k = 0; k < Math.min(n, keys); k++) {
          const v = t.data[row + k];
          if (!Number.isFinite(v)) return { sequence: b, position: q, value: v, detail: `, head ${h}, key ${k}` };
        }
      }
    }
  }
  return undefined;
}
