import { entropyBound } from './bound.js';
import { entropyOfSpectrum, renyiOrders, type MatrixEntropyOptions } from './entropy.js';
import { meanCosine } from './mean-cosine.js';
import type { ResolvedPreprocessing } from './preprocess.js';
import { eigenShares } from './spectrum.js';
import { theorem1FromParts, type Theorem1Statistics } from './theorem1.js';
import { requireMatrix, type Activations } from './validate.js';

/** Spread of one quantity over sequences; `std` is the population standard deviation (ddof = 0). */
export interface Summary {
  mean: number;
  std: number;
  min: number;
  max: number;
  count: number;
}

/** Welford's running mean and variance, stable in one pass. */
export class RunningSummary {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;

  add(value: number): void {
    this.n += 1;
    const delta = value - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (value - this.mean);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get count(): number {
    return this.n;
  }

  summary(): Summary {
    if (this.n === 0) throw new Error('summary of no values');
    return { mean: this.mean, std: Math.sqrt(this.m2 / this.n), min: this.min, max: this.max, count: this.n };
  }
}

/** mean, population std, min and max of a list of values. */
export function summarize(values: readonly number[] | Float64Array): Summary {
  const s = new RunningSummary();
  for (const v of values) s.add(v);
  return s.summary();
}

/** One sequence's numbers for one hidden state, as `LayerEntropyAccumulator.add` returns them. */
export interface SequenceEntropy {
  shannon: number;
  shannonNormalized: number;
  renyi2: number;
  renyi2Normalized: number;
  renyi: Record<string, number>;
  bound?: number;
  boundAlpha0?: number;
  meanCosineIncludingBos?: number | null;
  meanCosineExcludingBos?: number | null;
  /** Theorem 1 of Queipo-de-Llano et al. 2025, measured and bounded (with `bound`). */
  theorem1?: Theorem1Statistics;
}

/** The Theorem 1 quantities summarised over sequences (entropyUpper and the ln r ones where defined). */
export const THEOREM1_FIELDS = [
  'bosSqNorm',
  'restSqNorm',
  'alignment',
  'c',
  'p1',
  'dominance',
  'sigma1Sq',
  'sigma1SqLower',
  'p1Lower',
  'dominanceLower',
  'rank',
  'entropyUpper',
  'entropyRankNormalized',
  'entropyUpperRankNormalized',
] as const satisfies readonly (keyof Theorem1Statistics)[];
export type Theorem1Field = (typeof THEOREM1_FIELDS)[number];

/** Per hidden state: each quantity summarised over sequences. */
export interface LayerEntropySummary {
  numSequences: number;
  shannon: Summary;
  shannonNormalized: Summary;
  renyi2: Summary;
  renyi2Normalized: Summary;
  renyi: Record<string, Summary>;
  bound?: Summary;
  boundAlpha0?: Summary;
  /** Mean pairwise cosine, over the sequences where it is defined (null if none). */
  meanCosine?: { includingBos: Summary | null; excludingBos: Summary | null };
  /** Each Theorem 1 quantity over the sequences where it is defined (null if none). */
  theorem1?: Record<Theorem1Field, Summary | null>;
}

export interface LayerEntropyAccumulatorConfig extends MatrixEntropyOptions {
  /** Number of hidden states (L + 1 with the embeddings). */
  states: number;
  /** Also compute the massive-activation bound per sequence (O(T d)). Default true. */
  bound?: boolean;
  /** Also compute the mean pairwise cosine per sequence (O(T d)). Default true. */
  meanCosine?: boolean;
}

type Slot = Record<string, RunningSummary>;

/**
 * Streams per-sequence entropy of every hidden state and summarises it over sequences (mean, std,
 * min, max). The normalised entropies are means of per-sequence H / ln T, which equal
 * mean(H) / ln T when every sequence has the same T.
 */
export class LayerEntropyAccumulator {
  private readonly slots: Slot[];

  constructor(readonly config: LayerEntropyAccumulatorConfig) {
    if (!Number.isInteger(config.states) || config.states < 1) {
      throw new RangeError(`states must be an integer >= 1, got ${config.states}`);
    }
    this.slots = Array.from({ length: config.states }, () => ({}));
    this.alphas = renyiOrders(config.renyiAlphas);
  }

  private readonly alphas: number[];

  /** The preprocessing every entropy uses (raw unless configured). */
  get preprocessing(): ResolvedPreprocessing {
    return { center: this.config.center ?? false, normalize: this.config.normalize ?? false };
  }

  /**
   * Compute and add hidden state `index` of one sequence, X [T, d]; returns that sequence's numbers.
   * One eigendecomposition serves the entropies and Theorem 1; the bound, alignment and mean cosine
   * are O(T d) passes.
   */
  add(index: number, x: Activations, seqLen: number, dim: number): SequenceEntropy {
    if (!Number.isInteger(index) || index < 0 || index >= this.config.states) {
      throw new RangeError(`hidden state index must be an integer in 0..${this.config.states - 1}, got ${index}`);
    }
    requireMatrix('matrixEntropy', x, seqLen, dim, 2);
    const spectrum = eigenShares(x, seqLen, dim, this.config);
    const e = entropyOfSpectrum(spectrum, seqLen, dim, this.alphas);
    const value: SequenceEntropy = {
      shannon: e.shannon,
      shannonNormalized: e.shannonNormalized,
      renyi2: e.renyi2,
      renyi2Normalized: e.renyi2Normalized,
      renyi: e.renyi,
    };
    if (this.config.bound ?? true) {
      const b = entropyBound(x, seqLen, dim, this.config);
      value.bound = b.bound;
      value.boundAlpha0 = b.boundAlpha0;
      value.theorem1 = theorem1FromParts(spectrum, b);
    }
    if (this.config.meanCosine ?? true) {
      const a = meanCosine(x, seqLen, dim);
      value.meanCosineIncludingBos = a.includingBos;
      value.meanCosineExcludingBos = a.excludingBos;
    }
    this.addValues(index, value);
    return value;
  }

  /** Add numbers computed elsewhere (e.g. in a worker) for hidden state `index`. */
  addValues(index: number, value: SequenceEntropy): void {
    const slot = this.slots[index];
    const put = (key: string, v: number | null | undefined) => {
      if (v === undefined || v === null) return;
      (slot[key] ??= new RunningSummary()).add(v);
    };
    put('shannon', value.shannon);
    put('shannonNormalized', value.shannonNormalized);
    put('renyi2', value.renyi2);
    put('renyi2Normalized', value.renyi2Normalized);
    for (const [alpha, v] of Object.entries(value.renyi)) put(`renyi:${alpha}`, v);
    put('bound', value.bound);
    put('boundAlpha0', value.boundAlpha0);
    put('meanCosineIncludingBos', value.meanCosineIncludingBos);
    put('meanCosineExcludingBos', value.meanCosineExcludingBos);
    if (value.theorem1) for (const f of THEOREM1_FIELDS) put(`theorem1:${f}`, value.theorem1[f]);
  }

  /** One summary per hidden state, in index order. */
  result(): LayerEntropySummary[] {
    return this.slots.map((slot, i) => {
      if (!slot.shannon) throw new Error(`LayerEntropyAccumulator: hidden state ${i} received no sequences`);
      const get = (key: string) => slot[key]?.summary();
      const renyi: Record<string, Summary> = {};
      for (const key of Object.keys(slot)) if (key.startsWith('renyi:')) renyi[key.slice(6)] = slot[key].summary();
      const out: LayerEntropySummary = {
        numSequences: slot.shannon.count,
        shannon: slot.shannon.summary(),
        shannonNormalized: slot.shannonNormalized.summary(),
        renyi2: slot.renyi2.summary(),
        renyi2Normalized: slot.renyi2Normalized.summary(),
        renyi,
      };
      if (slot.bound) {
        out.bound = get('bound');
        out.boundAlpha0 = get('boundAlpha0');
      }
      if (this.config.meanCosine ?? true) {
        out.meanCosine = {
          includingBos: get('meanCosineIncludingBos') ?? null,
          excludingBos: get('meanCosineExcludingBos') ?? null,
        };
      }
      if (slot.bound) out.theorem1 = Object.fromEntries(THEOREM1_FIELDS.map((f) => [f, get(`theorem1:${f}`) ?? null])) as Record<Theorem1Field, Summary | null>;
      return out;
    });
  }
}
