import { argmax, largestJump } from '@sinkscope/metrics';
import { z } from 'zod';

/**
 * Whether a model HAS a first-token massive activation to ablate, and where it forms. `layers: auto`
 * acts only when one exists; otherwise there is nothing to remove, and the step says so in words
 * instead of measuring near-zero effects of removing an ordinary vector.
 */

/**
 * The thresholds (the pipeline spec's `ablation.massive`). A residual state holds a massive
 * activation when its top |activation| >= `minTopActivation` AND >= `minMedianRatio` x its median
 * |activation| (issue 17's rule, 100x; Sun et al. 2024, sec. 2, is stricter: "magnitudes larger than
 * 100 and about or more than 1,000 times larger than the median", set `minMedianRatio: 1000` for it), OR when the first token's norm is >= `minNormRatio` x the mean norm
 * of the others (a massive-norm first token, Queipo-de-Llano et al. 2025 sec. 3; 10 = an order of
 * magnitude, the metrics step's `emergenceThreshold`).
 */
export const massiveThresholdsSchema = z
  .object({
    minTopActivation: z.number().nonnegative().default(100).describe('top |activation| at least this (Sun et al. 2024: 100)'),
    minMedianRatio: z.number().nonnegative().default(100).describe("and at least this many times the state's median |activation| (Sun et al. 2024's stricter original: about 1000)"),
    minNormRatio: z.number().positive().default(10).describe("or a first-token norm ratio at least this (an order of magnitude; the metrics step's emergenceThreshold)"),
  })
  .strict();

export type MassiveThresholds = z.output<typeof massiveThresholdsSchema>;
export const DEFAULT_MASSIVE_THRESHOLDS: MassiveThresholds = massiveThresholdsSchema.parse({});

/**
 * Per residual state i = 0..n-1 (0 = embeddings, i = the output of block i - 1, before any final
 * norm): the first-token norm ratio ||h_1|| / mean ||h_t>1||, the top |activation| over sequences and
 * the mean median |activation|. With `preFinalNorm`, state L is the last block's output as it enters
 * the final norm; without it the list stops at L - 1 (the final norm's output is no residual state).
 */
export interface ResidualProfile {
  readonly normRatios: readonly number[];
  readonly topActivation: readonly number[];
  readonly medianActivation: readonly number[];
  /** True when the last entry is the input of the final norm (index L), false when the list ends at L - 1. */
  readonly preFinalNorm: boolean;
}

export interface MassiveFinding {
  readonly found: boolean;
  /** The state with the largest rise of the norm ratio over the previous one (the block before it forms it). */
  readonly emergenceHiddenIndex: number;
  readonly largestRatio: { readonly value: number; readonly hiddenIndex: number };
  readonly topActivation: { readonly value: number; readonly hiddenIndex: number; readonly medianRatio: number };
  /** The states that meet the thresholds. */
  readonly massiveHiddenIndices: readonly number[];
  readonly thresholds: MassiveThresholds;
  /** One sentence: what was found, or "no massive activation found (largest ratio R at hidden state h)". */
  readonly verdict: string;
}

const round = (x: number, digits = 3) => Number(x.toPrecision(digits));

/** Apply the thresholds to a residual profile (see `massiveThresholdsSchema`). */
export function findMassiveActivation(profile: ResidualProfile, thresholds: MassiveThresholds = DEFAULT_MASSIVE_THRESHOLDS): MassiveFinding {
  const { normRatios: ratios, topActivation: top, medianActivation: median } = profile;
  const n = ratios.length;
  if (n < 2 || top.length !== n || median.length !== n) {
    throw new Error(`massive activation: need norm ratios, top and median |activation| of at least 2 residual states (got ${n}, ${top.length}, ${median.length})`);
  }
  const emergence = largestJump(ratios)!;
  const r = argmax(ratios);
  const t = argmax(top);
  const medianRatio = (i: number) => (median[i] > 0 ? top[i] / median[i] : Infinity);
  const massive = ratios
    .map((_, i) => i)
    .filter((i) => (top[i] >= thresholds.minTopActivation && medianRatio(i) >= thresholds.minMedianRatio) || ratios[i] >= thresholds.minNormRatio);
  const found = massive.length > 0;
  const where = (i: number) => (profile.preFinalNorm && i === n - 1 ? `hidden state ${i} (before the final norm)` : `hidden state ${i}`);
  const top1 = `top |activation| ${round(top[t])} at ${where(t)}, ${round(medianRatio(t))}x its median`;
  const rule = `thresholds: |a| >= ${thresholds.minTopActivation} and >= ${thresholds.minMedianRatio}x the median, or a norm ratio >= ${thresholds.minNormRatio}`;
  const verdict = found
    ? `massive activation at ${massive.map(where).join(', ')} (largest first-token norm ratio ${round(ratios[r])} at ${where(r)}; ${top1}); it forms at ${where(emergence)}, the output of block ${emergence - 1} (the largest rise of the norm ratio)`
    : `no massive activation found (largest ratio ${round(ratios[r])} at ${where(r)}; ${top1}; ${rule})`;
  return {
    found,
    emergenceHiddenIndex: emergence,
    largestRatio: { value: ratios[r], hiddenIndex: r },
    topActivation: { value: top[t], hiddenIndex: t, medianRatio: medianRatio(t) },
    massiveHiddenIndices: massive,
    thresholds,
    verdict,
  };
}
