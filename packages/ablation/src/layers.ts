import { largestJump } from '@sinkscope/metrics';
import type { AblationHookKind } from './schema.js';

/**
 * Where the first token's massive activation forms: the hidden-state index with the largest rise of
 * the first-token norm ratio ||h_1|| / mean ||h_t>1|| (metrics' `largestJump`; Queipo-de-Llano et
 * al. 2025 sec. 4 remove it "where it forms"). `ratios[i]` is the ratio of hidden state i.
 */
export function emergenceHiddenIndex(ratios: readonly number[]): number {
  const e = largestJump(ratios);
  if (e === null) throw new Error(`layers 'auto': need the norm ratios of at least 2 hidden states, got ${ratios.length}`);
  return e;
}

/**
 * The block an `auto` ablation acts on: hidden state e is the output of block e - 1, so the
 * in-block hooks (attn_out, mlp_out, resid_mid, resid_post) act at block e - 1; `hook_resid_pre`
 * of block e is that same output, entering the next block.
 */
export function autoLayer(ratios: readonly number[], hook: AblationHookKind): number {
  const e = emergenceHiddenIndex(ratios);
  if (hook !== 'hook_resid_pre') return e - 1;
  const nLayers = ratios.length - 1;
  if (e >= nLayers) throw new Error(`layers 'auto': the massive activation forms in the last block (hidden state ${e}); no later hook_resid_pre exists`);
  return e;
}

/**
 * The hidden-state index of the layer control: the first token at a block where no massive
 * activation forms = the smallest |ratio[j] - ratio[j-1]| over j = 1..L-1 not within 1 of the
 * emergence index (nor of `exclude`). Index L (the final norm's output) is left out: its change mixes
 * the last block with the final norm. Null when every block is the emergence block or next to it
 * (e.g. any model with fewer than 4 blocks whose emergence is in the middle).
 */
export function controlHiddenIndex(ratios: readonly number[], emergence: number, exclude: readonly number[] = []): number | null {
  let best: number | null = null;
  let bestJump = Infinity;
  const far = (j: number, from: number) => Math.abs(j - from) > 1;
  for (let j = 1; j < ratios.length - 1; j++) {
    if (!far(j, emergence) || !exclude.every((x) => far(j, x))) continue;
    const jump = Math.abs(ratios[j] - ratios[j - 1]);
    if (jump < bestJump) {
      bestJump = jump;
      best = j;
    }
  }
  return best;
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
