import type { RunReadings, SequenceReadings } from './readings.js';
import type { AblationRole } from './plan.js';

/** One row of the shared `ablation` table (@sinkscope/artifacts ABLATION): per (model, intervention, role, hidden_index). */
export interface AblationRow {
  model: string;
  intervention: string;
  role: AblationRole;
  hidden_index: number;
  sink_rate: number;
  norm_ratio: number;
  entropy_normalized: number;
  entropy_bound: number;
  mean_cosine: number;
  loss: number;
  perplexity: number;
}

/** One row per (sequence, hidden_index): what the effect sizes' spread is computed from. */
export interface AblationSequenceRow {
  model: string;
  intervention: string;
  sequence: number;
  hidden_index: number;
  first_token_norm: number;
  other_tokens_mean_norm: number;
  sink_rate: number;
  entropy_normalized: number;
  entropy_bound: number;
  mean_cosine: number;
  nll_sum: number;
  predicted_tokens: number;
}

const mean = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
};

/**
 * Model-level next-token loss: total nats over total predicted tokens (each sequence's last position
 * has no target), and perplexity = exp(loss).
 */
export function modelLoss(sequences: readonly Pick<SequenceReadings, 'nllSum' | 'predicted'>[]): { loss: number; perplexity: number } {
  let nll = 0;
  let count = 0;
  for (const s of sequences) {
    nll += s.nllSum;
    count += s.predicted;
  }
  const loss = nll / count;
  return { loss, perplexity: Math.exp(loss) };
}

/**
 * The `ablation` rows of one run, with the conventions of the metrics and entropy steps: sink_rate =
 * mean over sequences of the per-sequence fraction of heads over eps (NaN at hidden_index 0);
 * norm_ratio = mean first-token norm / mean other-token norm (ratio of means); entropy, its bound and
 * mean cosine = means over sequences.
 */
export function ablationRows(model: string, intervention: string, role: AblationRole, run: Pick<RunReadings, 'layers' | 'sequences'>): AblationRow[] {
  const seqs = run.sequences;
  const { loss, perplexity } = modelLoss(seqs);
  return Array.from({ length: run.layers + 1 }, (_, i) => ({
    model,
    intervention,
    role,
    hidden_index: i,
    sink_rate: i === 0 ? NaN : mean(seqs.map((s) => s.sinkRate[i - 1])),
    norm_ratio: mean(seqs.map((s) => s.firstTokenNorm[i])) / mean(seqs.map((s) => s.otherTokensMeanNorm[i])),
    entropy_normalized: mean(seqs.map((s) => s.entropyNormalized[i])),
    entropy_bound: mean(seqs.map((s) => s.entropyBound[i])),
    mean_cosine: mean(seqs.map((s) => s.meanCosine[i])),
    loss,
    perplexity,
  }));
}

/** The per-sequence rows of one run. */
export function sequenceRows(model: string, intervention: string, run: Pick<RunReadings, 'layers' | 'sequences'>): AblationSequenceRow[] {
  return run.sequences.flatMap((s, sequence) =>
    Array.from({ length: run.layers + 1 }, (_, i) => ({
      model,
      intervention,
      sequence,
      hidden_index: i,
      first_token_norm: s.firstTokenNorm[i],
      other_tokens_mean_norm: s.otherTokensMeanNorm[i],
      sink_rate: i === 0 ? NaN : s.sinkRate[i - 1],
      entropy_normalized: s.entropyNormalized[i],
      entropy_bound: s.entropyBound[i],
      mean_cosine: s.meanCosine[i],
      nll_sum: s.nllSum,
      predicted_tokens: s.predicted,
    })),
  );
}

/** Rebuild a run's per-sequence measurements from its stored rows (inverse of `sequenceRows`). */
export function readingsFromRows(rows: readonly AblationSequenceRow[], layers: number): Pick<RunReadings, 'layers' | 'sequences'> {
  const n = rows.reduce((m, r) => Math.max(m, r.sequence + 1), 0);
  const seqs = Array.from({ length: n }, () => ({
    firstTokenNorm: new Float64Array(layers + 1).fill(NaN),
    otherTokensMeanNorm: new Float64Array(layers + 1).fill(NaN),
    entropyNormalized: new Float64Array(layers + 1).fill(NaN),
    entropyBound: new Float64Array(layers + 1).fill(NaN),
    meanCosine: new Float64Array(layers + 1).fill(NaN),
    sinkRate: new Float64Array(layers).fill(NaN),
    nllSum: NaN,
    predicted: 0,
  }));
  for (const r of rows) {
    const s = seqs[r.sequence];
    const i = r.hidden_index;
    s.firstTokenNorm[i] = r.first_token_norm;
    s.otherTokensMeanNorm[i] = r.other_tokens_mean_norm;
    s.entropyNormalized[i] = r.entropy_normalized;
    s.entropyBound[i] = r.entropy_bound;
    s.meanCosine[i] = r.mean_cosine;
    if (i > 0) s.sinkRate[i - 1] = r.sink_rate;
    s.nllSum = r.nll_sum;
    s.predicted = r.predicted_tokens;
  }
  return { layers, sequences: seqs };
}
