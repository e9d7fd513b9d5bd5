import { largestJump } from '@sinkscope/metrics';
import type { AblationHookKind } from './schema.js';

/**
 * Where the first token's massive activation forms: the residual state with the largest rise of the
 * first-token norm ratio ||h_1|| / mean ||h_t>1|| (metrics' `largestJump`; Queipo-de-Llano et al.
 * 2025 sec. 4 remove it "where it forms"). `ratios[i]` is the ratio of residual state i, never of the
 * final norm's output (see `ResidualProfile`).
 */
export function emergenceHiddenIndex(ratios: readonly number[]): number {
  const e = largestJump(ratios);
  if (e === null) throw new Error(`layers 'auto': need the norm ratios of at least 2 hidden states, got ${ratios.length}`);
  return e;
}

/**
 * The block an `auto` ablation acts on, given the emergence state e: hidden state e is the output of
 * block e - 1, so the in-block hooks (attn_out, mlp_out, resid_mid, resid_post) act at block e - 1;
 * `hook_resid_pre` of block e is that same output, entering the next block (null when e is the last
 * block's output: there is no later block).
 */
export function autoBlock(emergence: number, hook: AblationHookKind, nLayers: number): number | null {
  if (hook !== 'hook_resid_pre') return emergence - 1;
  return emergence < nLayers ? emergence : null;
}

/** The block of `autoBlock`, or an error when there is none (hook_resid_pre after the last block). */
export function autoLayer(ratios: readonly number[], hook: AblationHookKind, nLayers = ratios.length - 1): number {
  const e = emergenceHiddenIndex(ratios);
  const block = autoBlock(e, hook, nLayers);
  if (block === null) throw new Error(`layers 'auto': the massive activation forms in the last block (hidden state ${e}); no later hook_resid_pre exists`);
  return block;
}

/** The layer control of an ablation: the state it acts at (null: none) and, in words, why that one. */
export interface ControlChoice {
  readonly hiddenIndex: number | null;
  readonly note: string;
}

/**
 * The layer control: the first token at a block where no massive activation forms. Among the
 * residual states j = 1..n-1 whose block exists for this hook, not targeted: the smallest
 * |ratio[j] - ratio[j-1]| farther than 1 from the emergence state and from every targeted state; if
 * none is that far (a model with few blocks), the smallest change among the others, and the note
 * says it sits next to the emergence; null when every block is targeted.
 */
export function controlLayerChoice(ratios: readonly number[], emergence: number, targeted: readonly number[], hook: AblationHookKind, nLayers: number): ControlChoice {
  const candidates: number[] = [];
  for (let j = 1; j < ratios.length; j++) {
    const block = blockOfHiddenIndex(j, hook);
    if (block >= 0 && block < nLayers && !targeted.includes(j)) candidates.push(j);
  }
  const rise = (j: number) => Math.abs(ratios[j] - ratios[j - 1]);
  const smallest = (js: number[]) => js.reduce((best, j) => (rise(j) < rise(best) ? j : best));
  const far = candidates.filter((j) => [emergence, ...targeted].every((x) => Math.abs(j - x) > 1));
  if (far.length) {
    const j = smallest(far);
    return { hiddenIndex: j, note: `block ${blockOfHiddenIndex(j, hook)}: the smallest change of the norm ratio (${Number(rise(j).toPrecision(3))}) away from the emergence at hidden state ${emergence}` };
  }
  if (candidates.length) {
    const j = smallest(candidates);
    return {
      hiddenIndex: j,
      note: `block ${blockOfHiddenIndex(j, hook)}, next to the emergence at hidden state ${emergence}: this ${nLayers}-block model has no block farther away (norm-ratio change ${Number(rise(j).toPrecision(3))})`,
    };
  }
  return { hiddenIndex: null, note: `no layer control: this ${nLayers}-block model has no ${hook} block besides the targeted one` };
}

/** Block of hidden-state index j for a hook kind (inverse of `firstAffectedHiddenIndex`). */
export function blockOfHiddenIndex(j: number, hook: AblationHookKind): number {
  return hook === 'hook_resid_pre' ? j : j - 1;
}

export interface MassiveDimsOptions {
  /** A dim is massive when |mean first-token value| exceeds this multiple of the median |activation| (default 100). */
  readonly medianRatio?: number;
  /** At most this many dims, largest first (default 8). */
  readonly maxDims?: number;
}

/**
 * The first token's massive dims at one hidden state, for `set-dims` (Sun et al. 2024 sec. 2: a few
 * fixed dims, |a| far above the median). `firstTokenMean[d]` = mean over sequences of the first
 * token's value in dim d; `medianAbs` = mean over sequences of the median |activation| over all
 * tokens and dims. Sun et al.'s absolute threshold (|a| > 100) is left out: small models have
 * massive activations far below 100 that are still thousands of medians.
 */
export function massiveDims(firstTokenMean: ArrayLike<number>, medianAbs: number, options: MassiveDimsOptions = {}): number[] {
  const ratio = options.medianRatio ?? 100;
  const maxDims = options.maxDims ?? 8;
  const dims: number[] = [];
  for (let d = 0; d < firstTokenMean.length; d++) if (Math.abs(firstTokenMean[d]) > ratio * medianAbs) dims.push(d);
  return dims.sort((a, b) => Math.abs(firstTokenMean[b]) - Math.abs(firstTokenMean[a]) || a - b).slice(0, maxDims).sort((a, b) => a - b);
}
