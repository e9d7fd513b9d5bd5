import { causalColumnSums, type ImportanceOptions, type ScoreNormalization } from './importance.js';
import { type Activations, requireFiniteList, requireInt, requireShape } from './validate.js';

export interface SinkAccumulatorConfig extends ImportanceOptions {
  /** Number of layers L; `addLayer` takes layer indices 0..L-1. */
  layers: number;
  /** Query heads H per layer (GQA/MQA maps are reported per query head). */
  heads: number;
  /** Thresholds of the curve over eps; the indicator is strict, alpha_k > eps. Default [0.2, 0.3, 0.4, 0.5]. */
  eps?: number[];
  /** Key positions k (1-based, as in the paper) of the curve over k. Default 1..10. */
  ks?: number[];
  /** Threshold of the headline `sinkRate`, added to `eps` if missing. Default 0.3 (Gu et al. 2025). */
  primaryEps?: number;
  /** Key position of the headline `sinkRate`, added to `ks` if missing. Default 1 (the first token). */
  primaryK?: number;
  /**
   * Prefix lengths T' < T of the curve over sequence length (at primaryK and primaryEps). The causal
   * attention of the first T' tokens is exactly the top-left T' x T' block of the long run's map
   * (query t only sees keys <= t), so alpha over T' comes from the same run; no re-run is needed.
   * Each must be >= primaryK and <= every sequence's T. Default none.
   */
  prefixLengths?: number[];
}

/** Headline numbers at (primaryK, primaryEps); rates are fractions in [0, 1]. */
export interface SinkResult {
  k: number;
  eps: number;
  normalization: ScoreNormalization;
  numSequences: number;
  seqLen: { min: number; max: number };
  /** Mean over sequences, layers and heads of 1[alpha_k > eps] (threshold per sequence, then averaged). */
  sinkRate: number;
  /** Fraction of (layer, head) pairs whose sequence-mean alpha_k exceeds eps (the other reading). */
  sinkRateOfMeanAlpha: number;
  /** Mean alpha_k over sequences, layers and heads. */
  meanAlpha: number;
  perLayer: { meanAlpha: number[]; rate: number[] };
  /** [layer][head]. */
  perHead: { meanAlpha: number[][]; rate: number[][] };
  curves: {
    /** At primaryK, one point per eps. */
    eps: { eps: number; sinkRate: number }[];
    /** At primaryEps, one point per k. */
    k: { k: number; sinkRate: number; meanAlpha: number }[];
    /** At primaryK and primaryEps, one point per prefix length T'. */
    seqLen: { seqLen: number; sinkRate: number; meanAlpha: number }[];
  };
  /** Model-level sink rate for every (k, eps): sinkRate[ki][ei] with ks and eps as listed. */
  grid: { ks: number[]; eps: number[]; sinkRate: number[][] };
}

/** One layer's contribution for one sequence, computed (and checked) before anything is added. */
interface LayerContribution {
  layer: number;
  seqLen: number;
  alpha: Float64Array; // [H * nk]
  prefixAlpha: Float64Array; // [H * np]
}

const DEFAULT_EPS = [0.2, 0.3, 0.4, 0.5];
const DEFAULT_KS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

function sortedUnique(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * Streaming sink statistics (Gu et al. 2025, sec. 3.2): feed one layer's map of one sequence at a
 * time; only O(L * H * |ks| * |eps|) numbers are kept, never the maps.
 */
export class SinkAccumulator {
  readonly layers: number;
  readonly heads: number;
  readonly eps: readonly number[];
  readonly ks: readonly number[];
  readonly prefixLengths: readonly number[];
  readonly primaryEps: number;
  readonly primaryK: number;
  private readonly options: Required<ImportanceOptions>;
  private readonly alphaSum: Float64Array; // [L][H][nk]
  private readonly exceed: Float64Array; // [L][H][nk][ne]
  private readonly prefixAlphaSum: Float64Array; // [L][H][np]
  private readonly prefixExceed: Float64Array; // [L][H][np] at primaryEps
  private readonly seqCount: Int32Array; // [L]
  private minSeqLen = Infinity;
  private maxSeqLen = 0;
  private colSums = new Float64Array(0);
  private rowScale = new Float64Array(0);

  constructor(config: SinkAccumulatorConfig) {
    requireInt('layers', config.layers);
    requireInt('heads', config.heads);
    this.layers = config.layers;
    this.heads = config.heads;
    this.primaryEps = config.primaryEps ?? 0.3;
    this.primaryK = config.primaryK ?? 1;
    requireFiniteList('eps', [...(config.eps ?? []), this.primaryEps]);
    requireInt('primaryK', this.primaryK);
    (config.ks ?? []).forEach((k, i) => requireInt(`ks[${i}]`, k));
    (config.prefixLengths ?? []).forEach((t, i) => requireInt(`prefixLengths[${i}]`, t, this.primaryK));
    this.eps = sortedUnique([...(config.eps ?? DEFAULT_EPS), this.primaryEps]);
    this.ks = sortedUnique([...(config.ks ?? DEFAULT_KS), this.primaryK]);
    this.prefixLengths = sortedUnique(config.prefixLengths ?? []);
    this.options = { normalization: config.normalization ?? 'none', rowSumTolerance: config.rowSumTolerance ?? 1e-2 };
    const lh = this.layers * this.heads;
    this.alphaSum = new Float64Array(lh * this.ks.length);
    this.exceed = new Float64Array(lh * this.ks.length * this.eps.length);
    this.prefixAlphaSum = new Float64Array(lh * this.prefixLengths.length);
    this.prefixExceed = new Float64Array(lh * this.prefixLengths.length);
    this.seqCount = new Int32Array(this.layers);
    this.latestRate = new Float64Array(this.layers).fill(NaN);
  }

  /** Per layer, the fraction of heads above (primaryK, primaryEps) in the sequence added last. */
  private readonly latestRate: Float64Array;

  /**
   * Sink_{primaryK}^{primaryEps} of each layer in the sequence added last (fraction of its heads),
   * [L]: the per-sequence spread the pipeline's per-layer figures draw as a band.
   */
  latestSequenceRates(): Float64Array {
    return Float64Array.from(this.latestRate);
  }

  /**
   * Add one layer's map [H, T, T] ([head][query][key]) of one sequence. T is inferred from the
   * length unless given. Each layer counts its own sequences; `result` checks they agree.
   */
  addLayer(layer: number, pattern: Activations, seqLen?: number): void {
    this.commit(this.compute(layer, pattern, seqLen));
  }

  /** Add every layer of one sequence (patterns[l] is layer l's map); all are checked before any is added. */
  addSequence(patterns: readonly Activations[], seqLen?: number): void {
    if (patterns.length !== this.layers) {
      throw new RangeError(`addSequence: got ${patterns.length} layer maps, the accumulator has ${this.layers} layers`);
    }
    const contributions = patterns.map((p, l) => this.compute(l, p, seqLen));
    for (const c of contributions) this.commit(c);
  }

  private compute(layer: number, pattern: Activations, seqLen?: number): LayerContribution {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layers) {
      throw new RangeError(`layer must be an integer in 0..${this.layers - 1}, got ${layer}`);
    }
    const H = this.heads;
    const T = seqLen ?? Math.round(Math.sqrt(pattern.length / H));
    requireInt(`layer ${layer}: seqLen`, T);
    requireShape(`layer ${layer}: attention pattern`, pattern, { heads: H, query: T, key: T });
    const maxK = this.ks[this.ks.length - 1];
    if (maxK > T) throw new RangeError(`layer ${layer}: ks include k=${maxK} but the sequence has only T=${T} tokens`);
    const maxPrefix = this.prefixLengths[this.prefixLengths.length - 1] ?? 0;
    if (maxPrefix > T) throw new RangeError(`layer ${layer}: prefixLengths include ${maxPrefix} but the sequence has only T=${T} tokens`);

    if (this.colSums.length < H * T) {
      this.colSums = new Float64Array(H * T);
      this.rowScale = new Float64Array(H * T);
    }
    const colSums = this.colSums;
    const rowScale = this.rowScale;
    causalColumnSums(pattern, H, T, this.options, colSums, rowScale);

    const nk = this.ks.length;
    const np = this.prefixLengths.length;
    const alpha = new Float64Array(H * nk);
    const prefixAlpha = new Float64Array(H * np);
    const k0 = this.primaryK - 1;
    const abs = this.options.normalization === 'abs-sum';
    for (let h = 0; h < H; h++) {
      for (let ki = 0; ki < nk; ki++) {
        const key = this.ks[ki] - 1;
        alpha[h * nk + ki] = colSums[h * T + key] / (T - key);
      }
      // Curve over T: alpha_k of the prefix T' sums column k0 over rows k0..T'-1 only.
      let running = 0;
      let t = k0;
      for (let pi = 0; pi < np; pi++) {
        const end = this.prefixLengths[pi];
        for (; t < end; t++) {
          const v = pattern[h * T * T + t * T + k0];
          running += (abs ? Math.abs(v) : v) * rowScale[h * T + t];
        }
        prefixAlpha[h * np + pi] = running / (end - k0);
      }
    }
    return { layer, seqLen: T, alpha, prefixAlpha };
  }

  private commit(c: LayerContribution): void {
    const { layer, alpha, prefixAlpha } = c;
    const H = this.heads;
    const nk = this.ks.length;
    const ne = this.eps.length;
    const np = this.prefixLengths.length;
    const epi = this.eps.indexOf(this.primaryEps);
    const kpi = this.ks.indexOf(this.primaryK);
    let above = 0;
    for (let h = 0; h < H; h++) if (alpha[h * nk + kpi] > this.primaryEps) above++;
    this.latestRate[layer] = above / H;
    for (let h = 0; h < H; h++) {
      const lh = layer * H + h;
      for (let ki = 0; ki < nk; ki++) {
        const a = alpha[h * nk + ki];
        this.alphaSum[lh * nk + ki] += a;
        for (let ei = 0; ei < ne; ei++) {
          if (a > this.eps[ei]) this.exceed[(lh * nk + ki) * ne + ei] += 1;
        }
      }
      for (let pi = 0; pi < np; pi++) {
        const a = prefixAlpha[h * np + pi];
        this.prefixAlphaSum[lh * np + pi] += a;
        if (a > this.eps[epi]) this.prefixExceed[lh * np + pi] += 1;
      }
    }
    this.seqCount[layer] += 1;
    this.minSeqLen = Math.min(this.minSeqLen, c.seqLen);
    this.maxSeqLen = Math.max(this.maxSeqLen, c.seqLen);
  }

  /** Sequences added so far (per layer; equal once every layer of every sequence is in). */
  get sequencesPerLayer(): number[] {
    return Array.from(this.seqCount);
  }

  result(): SinkResult {
    const n = this.seqCount[0];
    if (n === 0) throw new Error('SinkAccumulator.result: no sequences were added');
    this.seqCount.forEach((count, l) => {
      if (count !== n) {
        throw new Error(`SinkAccumulator.result: layer ${l} received ${count} sequences but layer 0 received ${n}`);
      }
    });
    const { layers: L, heads: H } = this;
    const nk = this.ks.length;
    const ne = this.eps.length;
    const np = this.prefixLengths.length;
    const kpi = this.ks.indexOf(this.primaryK);
    const epi = this.eps.indexOf(this.primaryEps);
    const lhCount = L * H;

    // Mean over (layer, head) of a per-(layer, head) value, each already a mean over sequences.
    const modelMean = (value: (lh: number) => number): number => {
      let sum = 0;
      for (let lh = 0; lh < lhCount; lh++) sum += value(lh);
      return sum / lhCount;
    };
    const rateAt = (lh: number, ki: number, ei: number) => this.exceed[(lh * nk + ki) * ne + ei] / n;
    const alphaAt = (lh: number, ki: number) => this.alphaSum[lh * nk + ki] / n;

    const perHead = { meanAlpha: [] as number[][], rate: [] as number[][] };
    const perLayer = { meanAlpha: [] as number[], rate: [] as number[] };
    let headsOverEps = 0;
    for (let l = 0; l < L; l++) {
      const meanRow: number[] = [];
      const rateRow: number[] = [];
      for (let h = 0; h < H; h++) {
        const alpha = alphaAt(l * H + h, kpi);
        meanRow.push(alpha);
        rateRow.push(rateAt(l * H + h, kpi, epi));
        if (alpha > this.primaryEps) headsOverEps += 1;
      }
      perHead.meanAlpha.push(meanRow);
      perHead.rate.push(rateRow);
      perLayer.meanAlpha.push(meanRow.reduce((a, b) => a + b, 0) / H);
      perLayer.rate.push(rateRow.reduce((a, b) => a + b, 0) / H);
    }

    const grid = this.ks.map((_, ki) => this.eps.map((_, ei) => modelMean((lh) => rateAt(lh, ki, ei))));
    return {
      k: this.primaryK,
      eps: this.primaryEps,
      normalization: this.options.normalization,
      numSequences: n,
      seqLen: { min: this.minSeqLen, max: this.maxSeqLen },
      sinkRate: grid[kpi][epi],
      sinkRateOfMeanAlpha: headsOverEps / lhCount,
      meanAlpha: modelMean((lh) => alphaAt(lh, kpi)),
      perLayer,
      perHead,
      curves: {
        eps: this.eps.map((eps, ei) => ({ eps, sinkRate: grid[kpi][ei] })),
        k: this.ks.map((k, ki) => ({ k, sinkRate: grid[ki][epi], meanAlpha: modelMean((lh) => alphaAt(lh, ki)) })),
        seqLen: this.prefixLengths.map((seqLen, pi) => ({
          seqLen,
          sinkRate: modelMean((lh) => this.prefixExceed[lh * np + pi] / n),
          meanAlpha: modelMean((lh) => this.prefixAlphaSum[lh * np + pi] / n),
        })),
      },
      grid: { ks: [...this.ks], eps: [...this.eps], sinkRate: grid },
    };
  }
}
