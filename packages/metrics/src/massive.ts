import { medianInPlace } from './select.js';
import { type Activations, requireInt, requireShape } from './validate.js';

export interface MassiveActivationOptions {
  /** How many of the largest |activations| to report. Default 5. */
  topK?: number;
  /** Absolute magnitude a massive activation must exceed. Default 100 (Sun et al. 2024). */
  absThreshold?: number;
  /** It must also exceed this multiple of the median |activation|. Default 1000 (Sun et al. 2024). */
  medianRatio?: number;
}

export interface TopActivation {
  /** Token position (0-based). */
  token: number;
  /** Hidden dimension. */
  dim: number;
  /** Signed value. */
  value: number;
  /** |value|. */
  magnitude: number;
  /** magnitude / median |activation| of this hidden state. */
  ratioToMedian: number;
  /** magnitude > absThreshold and magnitude > medianRatio * median. */
  massive: boolean;
}

export interface MassiveActivationResult {
  /** The topK largest |activations|, largest first; ties keep row-major order (token, then dim). */
  top: TopActivation[];
  /** Median |activation| over all T x d entries. */
  medianMagnitude: number;
  /** Entries meeting both thresholds. */
  massiveCount: number;
  absThreshold: number;
  medianRatio: number;
}

/**
 * Massive activations of one hidden state x [T, d] (Sun et al. 2024, "Massive Activations in Large
 * Language Models", sec. 2: |a| > 100 and about 1000x the median magnitude).
 */
export function massiveActivations(
  x: Activations,
  seqLen: number,
  dim: number,
  options: MassiveActivationOptions = {},
): MassiveActivationResult {
  const topK = options.topK ?? 5;
  const absThreshold = options.absThreshold ?? 100;
  const medianRatio = options.medianRatio ?? 1000;
  requireInt('seqLen', seqLen);
  requireInt('dim', dim);
  requireInt('topK', topK);
  requireShape('hidden state', x, { T: seqLen, d: dim });
  const n = x.length;
  const magnitudes = new Float64Array(n);
  // Top-k kept as a small array sorted by magnitude, descending.
  const topIndex: number[] = [];
  const topMag: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = Math.abs(x[i]);
    if (Number.isNaN(m)) throw new RangeError(`hidden state has NaN at token ${Math.floor(i / dim)}, dim ${i % dim}`);
    magnitudes[i] = m;
    if (topMag.length < topK || m > topMag[topMag.length - 1]) {
      let j = Math.min(topMag.length, topK - 1);
      topMag[j] = m;
      topIndex[j] = i;
      while (j > 0 && topMag[j - 1] < m) {
        topMag[j] = topMag[j - 1];
        topIndex[j] = topIndex[j - 1];
        topMag[j - 1] = m;
        topIndex[j - 1] = i;
        j--;
      }
    }
  }
  let massiveCount = 0;
  const median = medianInPlace(magnitudes.slice());
  const limit = Math.max(absThreshold, medianRatio * median);
  for (let i = 0; i < n; i++) if (magnitudes[i] > limit) massiveCount++;
  const top = topIndex.map((i, r) => ({
    token: Math.floor(i / dim),
    dim: i % dim,
    value: x[i],
    magnitude: topMag[r],
    ratioToMedian: topMag[r] / median,
    massive: topMag[r] > limit,
  }));
  return { top, medianMagnitude: median, massiveCount, absThreshold, medianRatio };
}

/** Per hidden state, over sequences: the single largest activation and how often massive ones occur. */
export interface MassiveActivationSummary {
  /** The largest |activation| seen in any sequence, with the sequence it came from. */
  topActivation: TopActivation & { sequence: number };
  /** Mean over sequences of the median |activation|. */
  meanMedianMagnitude: number;
  /** Massive entries summed over sequences. */
  massiveCount: number;
  /** Sequences with at least one massive entry. */
  sequencesWithMassive: number;
  numSequences: number;
}

/** Streams `massiveActivations` over sequences for each hidden state. */
export class MassiveActivationAccumulator {
  private readonly slots: {
    top?: TopActivation & { sequence: number };
    medianSum: number;
    massive: number;
    withMassive: number;
    count: number;
  }[];

  constructor(readonly config: { states: number } & MassiveActivationOptions) {
    requireInt('states', config.states);
    this.slots = Array.from({ length: config.states }, () => ({ medianSum: 0, massive: 0, withMassive: 0, count: 0 }));
  }

  /** Add hidden state `index` of one sequence, x [T, d]; returns that sequence's result. */
  add(index: number, x: Activations, seqLen: number, dim: number): MassiveActivationResult {
    if (!Number.isInteger(index) || index < 0 || index >= this.config.states) {
      throw new RangeError(`hidden state index must be an integer in 0..${this.config.states - 1}, got ${index}`);
    }
    const r = massiveActivations(x, seqLen, dim, this.config);
    const slot = this.slots[index];
    if (!slot.top || r.top[0].magnitude > slot.top.magnitude) slot.top = { ...r.top[0], sequence: slot.count };
    slot.medianSum += r.medianMagnitude;
    slot.massive += r.massiveCount;
    if (r.massiveCount > 0) slot.withMassive += 1;
    slot.count += 1;
    return r;
  }

  result(): MassiveActivationSummary[] {
    return this.slots.map((slot, i) => {
      if (!slot.top) throw new Error(`MassiveActivationAccumulator: hidden state ${i} received no sequences`);
      return {
        topActivation: slot.top,
        meanMedianMagnitude: slot.medianSum / slot.count,
        massiveCount: slot.massive,
        sequencesWithMassive: slot.withMassive,
        numSequences: slot.count,
      };
    });
  }
}
