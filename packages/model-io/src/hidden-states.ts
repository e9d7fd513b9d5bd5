import type { ArchSpec } from './arch-spec.js';
import type { HookName } from './hooks.js';

/**
 * The hook holding `transformers`' hidden_states[i]: 0 = embeddings entering block 0, i = residual
 * after block i-1 for i < L, and L = the final norm's output (what `transformers` returns last,
 * not the raw residual after the last block).
 */
export function hiddenStateHook(arch: ArchSpec, index: number): HookName {
  if (!Number.isInteger(index) || index < 0 || index > arch.nLayers) {
    throw new Error(`hidden state index ${index} is outside 0..${arch.nLayers}`);
  }
  if (index === 0) return 'blocks.0.hook_resid_pre';
  if (index === arch.nLayers) return 'ln_final.hook_normalized';
  return `blocks.${index - 1}.hook_resid_post`;
}

export function hiddenStateHooks(arch: ArchSpec): HookName[] {
  return Array.from({ length: arch.nLayers + 1 }, (_, i) => hiddenStateHook(arch, i));
}
