/**
 * Hook points, named as in TransformerLens so researchers feel at home. Shapes (B batch, T positions):
 * - `hook_embed` [B,T,d] token embeddings (x embedding scale); `hook_pos_embed` [B,T,d] (learned positions only)
 * - `blocks.{l}.hook_resid_pre|mid|post` [B,T,d] (mid: after attention, sequential layouts only)
 * - `blocks.{l}.attn.hook_q` [B,T,H,hd], `hook_k`/`hook_v` [B,T,Hkv,hd]; q and k after rotary
 * - `blocks.{l}.attn.hook_pattern` [B,H,T,T] post-softmax, per query head, [query, key]
 * - `blocks.{l}.hook_attn_out`, `blocks.{l}.hook_mlp_out` [B,T,d] (after the sublayer's output norm, where the family has one)
 * - `blocks.{l}.mlp.hook_router_probs` [B,T,E] (sparse MoE only): the router's softmax over all E experts, before top-k
 * - `ln_final.hook_normalized` [B,T,d] (transformers' last hidden state), `logits` [B,T,V]
 * - `blocks.{l}.attn.hook_slot` [B,H,T,1]: with an extra key/value slot (ArchSpec.attentionSlot), each
 *   query's weight on it; `hook_pattern` then holds the weights on the real keys only
 * With a learnable sink token every hook after the embeddings has one row more (`hookRows`); blocks
 * without attention or MLP (ArchSpec.attentionFreeLayers / mlpFreeLayers) lack that sublayer's hooks.
 */
export type BlockHook =
  | 'hook_resid_pre'
  | 'hook_resid_mid'
  | 'hook_resid_post'
  | 'hook_attn_out'
  | 'hook_mlp_out'
  | 'attn.hook_q'
  | 'attn.hook_k'
  | 'attn.hook_v'
  | 'attn.hook_pattern'
  | 'attn.hook_slot'
  | 'mlp.hook_router_probs';

export type HookName = 'hook_embed' | 'hook_pos_embed' | `blocks.${number}.${BlockHook}` | 'ln_final.hook_normalized' | 'logits';

export const BLOCK_HOOKS: readonly BlockHook[] = [
  'hook_resid_pre',
  'hook_resid_mid',
  'hook_resid_post',
  'attn.hook_q',
  'attn.hook_k',
  'attn.hook_v',
  'attn.hook_pattern',
  'hook_attn_out',
  'hook_mlp_out',
  'mlp.hook_router_probs',
];

import type { ArchSpec } from './arch-spec.js';
import { hasAttention, hasMlp, sinkRows } from './families/arch-defaults.js';

/** Block hooks of the attention sublayer (absent in a block without attention). */
const ATTENTION_HOOKS: readonly BlockHook[] = ['hook_resid_mid', 'attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_pattern', 'hook_attn_out'];

/** Every hook name a model with this architecture exposes, in forward order. */
export function hookNames(arch: ArchSpec): HookName[] {
  const names: HookName[] = ['hook_embed'];
  if (arch.positional.kind === 'learned') names.push('hook_pos_embed');
  for (let l = 0; l < arch.nLayers; l++) {
    for (const h of BLOCK_HOOKS) {
      if (h === 'hook_resid_mid' && arch.residual !== 'sequential') continue;
      if (!hasAttention(arch, l) && ATTENTION_HOOKS.includes(h)) continue;
      if (!hasMlp(arch, l) && (h === 'hook_mlp_out' || h === 'mlp.hook_router_probs')) continue;
      if (h === 'mlp.hook_router_probs' && !arch.moe) continue;
      names.push(`blocks.${l}.${h}`);
    }
    if (arch.attentionSlot && hasAttention(arch, l)) names.push(`blocks.${l}.attn.hook_slot`);
  }
  names.push('ln_final.hook_normalized', 'logits');
  return names;
}

/**
 * Expand comma-separated names or globs (`*` matches within one dot-separated part, e.g.
 * `blocks.*.hook_resid_post`) against the model's hooks. An unknown name or a glob matching nothing
 * is an error listing the valid choices, before any work.
 */
export function resolveHooks(arch: ArchSpec, patterns: string | readonly string[]): HookName[] {
  const all = hookNames(arch);
  const list = (typeof patterns === 'string' ? patterns.split(',') : patterns).map((p) => p.trim()).filter(Boolean);
  const chosen = new Set<HookName>();
  for (const pattern of list) {
    const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('[^.]*')}$`);
    const matches = all.filter((n) => re.test(n));
    if (matches.length === 0) {
      const kinds = [...new Set(all.map((n) => n.replace(/^blocks\.\d+\./, 'blocks.{l}.')))];
      throw new Error(`unknown hook '${pattern}' for this ${arch.modelType} model with ${arch.nLayers} layers (valid: ${kinds.join(', ')})`);
    }
    for (const m of matches) chosen.add(m);
  }
  return all.filter((n) => chosen.has(n));
}

/**
 * Rows (positions) hook `hook` holds for a sequence of `tokens` tokens: one more than the tokens
 * inside the blocks of a model with a learnable sink token (row 0 is the sink token); the token
 * embeddings and the logits have exactly one row per token.
 */
export function hookRows(arch: ArchSpec, hook: HookName, tokens: number): number {
  return hook === 'logits' || hook === 'hook_embed' || hook === 'hook_pos_embed' ? tokens : tokens + sinkRows(arch);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
