import type { ArchSpec } from '../../arch-spec.js';
import type { HostArray } from '../../host-array.js';
import type { HookName } from '../../hooks.js';

/**
 * An arbitrary host function on the residual stream between two blocks. The graph is split there:
 * the segments before and after run as separate graphs with the function in between (no tracing of
 * JS code). Only block boundaries qualify — `blocks.{l}.hook_resid_pre` (before block l) and
 * `blocks.{l}.hook_resid_post` (after block l) — since the graph can be cut there without
 * carrying other live values across; inside a block, use a declarative intervention or TfjsModel.
 */
export interface FunctionIntervention {
  readonly kind: 'function';
  readonly hook: HookName;
  /** Gets the batch's residual [B,T,d] (right-padded to T; true `lengths`) and returns its replacement, same shape. */
  readonly fn: (x: HostArray, context: { readonly hook: HookName; readonly lengths: readonly number[] }) => HostArray | Promise<HostArray>;
}

export function isFunctionIntervention(value: unknown): value is FunctionIntervention {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'function';
}

/**
 * The block boundary a function intervention sits on: b = "before block b" (0..L; L = before the head).
 * resid_post of block l and resid_pre of block l + 1 are the same boundary (post runs first).
 */
export function functionBoundary(arch: ArchSpec, f: FunctionIntervention, where: string): number {
  const m = /^blocks\.(\d+)\.hook_resid_(pre|post)$/.exec(f.hook);
  const layer = m ? Number(m[1]) : -1;
  if (!m || layer >= arch.nLayers) {
    throw new Error(
      `${where}: a function intervention must sit at a block boundary, blocks.{l}.hook_resid_pre or blocks.{l}.hook_resid_post ` +
        `with l in 0..${arch.nLayers - 1}, got '${f.hook}' (elsewhere use a declarative intervention, or TfjsModel for arbitrary functions)`,
    );
  }
  if (typeof f.fn !== 'function') throw new Error(`${where}: field 'fn' must be a function`);
  return m[2] === 'pre' ? layer : layer + 1;
}
