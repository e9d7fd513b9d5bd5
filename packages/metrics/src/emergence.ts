function requireRatios(ratios: readonly number[]): void {
  ratios.forEach((r, i) => {
    if (Number.isNaN(r)) throw new RangeError(`ratios[${i}] is NaN`);
  });
}

/**
 * First hidden-state index whose first-token norm ratio exceeds `threshold` (strictly), or null
 * if none does. `ratios[i]` is normRatio of hidden state i (index 0 = embeddings).
 */
export function emergenceLayer(ratios: readonly number[], threshold = 10): number | null {
  requireRatios(ratios);
  const i = ratios.findIndex((r) => r > threshold);
  return i < 0 ? null : i;
}

/**
 * Hidden-state index i >= 1 with the largest increase ratios[i] - ratios[i-1] (the first one on a
 * tie), or null with fewer than two ratios. The ablation package's `auto` layer choice uses this.
 */
export function largestJump(ratios: readonly number[]): number | null {
  requireRatios(ratios);
  let best: number | null = null;
  let bestJump = -Infinity;
  for (let i = 1; i < ratios.length; i++) {
    const jump = ratios[i] - ratios[i - 1];
    if (jump > bestJump) {
      bestJump = jump;
      best = i;
    }
  }
  return best;
}

/**
 * The transition layer: the hidden-state index i >= 1 with the largest one-step rise of the log
 * first-token norm, ln n[i] - ln n[i-1] (the first on a tie), or null with fewer than two states.
 * `firstTokenNorms[i]` is hidden state i's (mean) first-token norm.
 */
export function transitionLayer(firstTokenNorms: readonly number[]): number | null {
  requireRatios(firstTokenNorms);
  return largestJump(firstTokenNorms.map((n) => Math.log(n)));
}

/** Thresholds of the Mix-Compress-Refine boundaries (the pipeline spec's `analyses.phases`). */
export interface PhaseThresholds {
  /** Mix ends where the first-token norm ratio exceeds this (default 10). */
  readonly normRatio: number;
  /** ... or where the normalised entropy drops below this fraction of its embedding value (default 0.7). */
  readonly entropyDrop: number;
  /** Refine starts where the normalised entropy is back within this of its last value (default 0.1). */
  readonly refineTolerance: number;
}

export const DEFAULT_PHASE_THRESHOLDS: PhaseThresholds = { normRatio: 10, entropyDrop: 0.7, refineTolerance: 0.1 };

export type Phase = 'mix' | 'compress' | 'refine';

export interface Phases {
  /** First hidden-state index of the Compress phase (Mix = 0..mixEnd-1); null when Mix never ends. */
  mixEnd: number | null;
  /** First hidden-state index of the Refine phase; null when Mix never ends. */
  refineStart: number | null;
  /** The phase of every hidden state. */
  phase: Phase[];
}

/**
 * Mix-Compress-Refine boundaries of one model (Queipo-de-Llano et al. 2025, sec. 5), from its
 * per-hidden-state first-token norm ratio and normalised entropy H / ln T (index 0 = embeddings):
 * - Mix ends at the first index i >= 1 whose norm ratio exceeds `normRatio` or whose entropy is
 *   below `entropyDrop` x the embeddings' entropy (the massive activation, or the compression, sets in);
 * - Refine starts at the first index j at or after the entropy's minimum over i >= mixEnd whose entropy
 *   is within `refineTolerance` of the last hidden state's (the valley has been climbed out of);
 * - Compress is mixEnd..refineStart-1 (empty when the valley's floor is already within tolerance).
 */
export function mixCompressRefine(normRatio: readonly number[], entropyNormalized: readonly number[], thresholds: PhaseThresholds = DEFAULT_PHASE_THRESHOLDS): Phases {
  const n = entropyNormalized.length;
  if (normRatio.length !== n) throw new RangeError(`mixCompressRefine: ${normRatio.length} norm ratios but ${n} entropies`);
  if (n === 0) return { mixEnd: null, refineStart: null, phase: [] };
  const h0 = entropyNormalized[0];
  let mixEnd: number | null = null;
  for (let i = 1; i < n && mixEnd === null; i++) {
    if (normRatio[i] > thresholds.normRatio || entropyNormalized[i] < thresholds.entropyDrop * h0) mixEnd = i;
  }
  if (mixEnd === null) return { mixEnd, refineStart: null, phase: Array.from({ length: n }, () => 'mix' as const) };
  let valley = mixEnd;
  for (let i = mixEnd; i < n; i++) if (entropyNormalized[i] < entropyNormalized[valley]) valley = i;
  const last = entropyNormalized[n - 1];
  let refineStart = n - 1;
  for (let j = valley; j < n; j++) {
    if (Math.abs(entropyNormalized[j] - last) <= thresholds.refineTolerance) {
      refineStart = j;
      break;
    }
  }
  const phase = Array.from({ length: n }, (_, i): Phase => (i < mixEnd! ? 'mix' : i < refineStart ? 'compress' : 'refine'));
  return { mixEnd, refineStart, phase };
}

/** One checkpoint of a training series: its model-level Sink_1 and per-hidden-state profile. */
export interface CheckpointProfile {
  readonly step: number;
  readonly sinkRate: number;
  readonly normRatio: readonly number[];
  readonly entropyNormalized: readonly number[];
}

/**
 * The first training step at which each signature appears (null: never), checkpoints taken in step
 * order: `sink` = model-level Sink_1 above `sinkRate`; `massive` = a norm ratio above
 * `thresholds.normRatio` at some depth; `valley` = a normalised entropy below
 * `thresholds.entropyDrop` x the embeddings' at some depth (the Mix-phase rule of `mixCompressRefine`).
 */
export function signatureOnsets(checkpoints: readonly CheckpointProfile[], sinkRate: number, thresholds: Pick<PhaseThresholds, 'normRatio' | 'entropyDrop'> = DEFAULT_PHASE_THRESHOLDS): { sink: number | null; massive: number | null; valley: number | null } {
  const sorted = [...checkpoints].sort((a, b) => a.step - b.step);
  const first = (test: (c: CheckpointProfile) => boolean) => sorted.find(test)?.step ?? null;
  return {
    sink: first((c) => c.sinkRate > sinkRate),
    massive: first((c) => c.normRatio.some((r) => r > thresholds.normRatio)),
    valley: first((c) => c.entropyNormalized.slice(1).some((h) => h < thresholds.entropyDrop * c.entropyNormalized[0])),
  };
}
