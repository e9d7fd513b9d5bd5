import { summarize } from '@sinkscope/entropy';
import type { RunReadings, SequenceReadings } from './readings.js';
import type { AblationRun } from './plan.js';

type Measured = Pick<RunReadings, 'layers' | 'sequences'>;

/** One quantity before and after: means over sequences, and the per-sequence delta's mean and std (ddof 0). */
export interface Effect {
  readonly baseline: number;
  readonly after: number;
  readonly deltaMean: number;
  readonly deltaStd: number;
}

/**
 * Effect sizes of one run against the baseline, read in its group's window (from hidden state
 * `window` on, the first one the targeted ablation can change). Per sequence:
 * - `normRatio`: ||h_1|| / mean ||h_t>1|| at hidden state `window` (this sequence's own ratio);
 * - `sinkRate`: Sink_1 averaged over the downstream attention layers a >= window;
 * - `entropy`: normalised matrix entropy averaged over the downstream hidden states i >= window;
 * - `loss`: mean next-token loss of the sequence (nats).
 * `after - baseline` of the means equals `deltaMean` exactly (same sequences, same weights).
 */
export interface RunEffects {
  readonly name: string;
  readonly role: AblationRun['role'];
  readonly group: string;
  readonly window: number;
  readonly sequences: number;
  readonly normRatio: Effect;
  readonly sinkRate: Effect | null;
  readonly entropy: Effect;
  readonly loss: Effect;
}

export type PerSequence = (s: SequenceReadings) => number;

/** The per-sequence readings of the window (see `RunEffects`). */
export function windowReadings(window: number, layers: number): { normRatio: PerSequence; sinkRate: PerSequence | null; entropy: PerSequence; loss: PerSequence } {
  // over the layers from `from` on; a block without attention has no sink rate (NaN) and is left out
  const avg = (xs: Float64Array, from: number) => {
    let s = 0;
    let n = 0;
    for (let i = from; i < xs.length; i++) {
      if (Number.isNaN(xs[i])) continue;
      s += xs[i];
      n++;
    }
    return n > 0 ? s / n : NaN;
  };
  return {
    normRatio: (s) => s.firstTokenNorm[window] / s.otherTokensMeanNorm[window],
    sinkRate: window < layers ? (s) => avg(s.sinkRate, window) : null,
    entropy: (s) => avg(s.entropyNormalized, window),
    loss: (s) => s.nllSum / s.predicted,
  };
}

function effect(baseline: Measured, run: Measured, read: PerSequence): Effect {
  const before = baseline.sequences.map(read);
  const after = run.sequences.map(read);
  const deltas = after.map((a, i) => a - before[i]);
  const d = summarize(deltas);
  return { baseline: summarize(before).mean, after: summarize(after).mean, deltaMean: d.mean, deltaStd: d.std };
}

export function runEffects(run: Pick<AblationRun, 'name' | 'role' | 'group' | 'window'>, baseline: Measured, measured: Measured): RunEffects {
  if (baseline.sequences.length !== measured.sequences.length) {
    throw new Error(`effects of '${run.name}': ${measured.sequences.length} sequences against the baseline's ${baseline.sequences.length}`);
  }
  const r = windowReadings(run.window, measured.layers);
  return {
    name: run.name,
    role: run.role,
    group: run.group,
    window: run.window,
    sequences: measured.sequences.length,
    normRatio: effect(baseline, measured, r.normRatio),
    sinkRate: r.sinkRate ? effect(baseline, measured, r.sinkRate) : null,
    entropy: effect(baseline, measured, r.entropy),
    loss: effect(baseline, measured, r.loss),
  };
}
