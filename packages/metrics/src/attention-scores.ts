import { requireShape, type Activations } from './validate.js';

/**
 * Mix-Compress-Refine readings of one attention layer (Queipo-de-Llano et al. 2025, sec. 5 and
 * Fig. 6), means over heads and over the query positions t >= 1 of one sequence's maps
 * A [H, T, T] ([head][query][key], causal rows summing to 1):
 * - `mixing`: the entropy of A[t, 0..t] divided by ln(t + 1), its largest value (1 = uniform over
 *   the t + 1 visible keys, 0 = all mass on one key);
 * - `identity`: A[t, t]; `prevToken`: A[t, t - 1]; `bos`: A[t, 0].
 * Row t = 0 is left out of every score: it sees only key 0, so A[0, 0] = 1 for every head (it would
 * count as identity and BOS at once, and its entropy is 0 / ln 1).
 */
export interface AttentionScores {
  mixing: number;
  identity: number;
  prevToken: number;
  bos: number;
}

export function attentionScores(pattern: Activations, heads: number, seqLen: number): AttentionScores {
  const T = seqLen;
  requireShape('attentionScores: attention pattern', pattern, { heads, query: T, key: T });
  if (T < 2) return { mixing: NaN, identity: NaN, prevToken: NaN, bos: NaN };
  let mixing = 0;
  let identity = 0;
  let prev = 0;
  let bos = 0;
  for (let h = 0; h < heads; h++) {
    for (let t = 1; t < T; t++) {
      const row = (h * T + t) * T;
      let entropy = 0;
      for (let k = 0; k <= t; k++) {
        const a = pattern[row + k];
        if (a > 0) entropy -= a * Math.log(a);
      }
      mixing += entropy / Math.log(t + 1);
      identity += pattern[row + t];
      prev += pattern[row + t - 1];
      bos += pattern[row];
    }
  }
  const n = heads * (T - 1);
  return { mixing: mixing / n, identity: identity / n, prevToken: prev / n, bos: bos / n };
}

/** Per-layer means over sequences of `attentionScores`, streamed one sequence at a time. */
export class AttentionScoreAccumulator {
  private readonly sums: Float64Array; // [L][4]
  private readonly counts: Int32Array;

  constructor(
    readonly layers: number,
    readonly heads: number,
  ) {
    this.sums = new Float64Array(layers * 4);
    this.counts = new Int32Array(layers);
  }

  /** One sequence's maps, [H, T, T] per layer; returns that sequence's scores per layer. */
  addSequence(patterns: readonly Activations[], seqLen: number): AttentionScores[] {
    if (patterns.length !== this.layers) throw new RangeError(`addSequence: got ${patterns.length} layer maps, the accumulator has ${this.layers} layers`);
    const scores = patterns.map((p) => attentionScores(p, this.heads, seqLen));
    scores.forEach((s, l) => {
      if (Number.isNaN(s.mixing)) return;
      this.sums[l * 4] += s.mixing;
      this.sums[l * 4 + 1] += s.identity;
      this.sums[l * 4 + 2] += s.prevToken;
      this.sums[l * 4 + 3] += s.bos;
      this.counts[l]++;
    });
    return scores;
  }

  /** Per layer: the means over sequences (NaN for a layer that saw no sequence of length >= 2). */
  result(): AttentionScores[] {
    return Array.from({ length: this.layers }, (_, l) => {
      const n = this.counts[l];
      return { mixing: this.sums[l * 4] / n, identity: this.sums[l * 4 + 1] / n, prevToken: this.sums[l * 4 + 2] / n, bos: this.sums[l * 4 + 3] / n };
    });
  }
}
