// The spread over sequences behind the per-layer means (Queipo-de-Llano et al. 2025 draw their
// curves as means over prompts): per (model, hidden_index), the band of each per-layer quantity from
// the per-sequence tables `metrics_sequences` and `entropy_sequences`.
import { readTable } from '../tables.js';
import type { RowSource } from '../tables.js';

export type BandKind = 'std' | 'iqr';

/** One (model, hidden_index)'s bands: `<column>_lo` .. `<column>_hi`. */
export interface BandRow {
  model: string;
  hidden_index: number;
  norm_ratio_lo: number | null;
  norm_ratio_hi: number | null;
  sink_rate_lo: number | null;
  sink_rate_hi: number | null;
  entropy_normalized_lo: number | null;
  entropy_normalized_hi: number | null;
}

/** Linear-interpolated quantile q of sorted values (numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** mean -+ population std, or the 25th..75th percentiles; nulls when no value is finite. */
export function spread(values: readonly (number | null)[], kind: BandKind): [number | null, number | null] {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return [null, null];
  if (kind === 'iqr') {
    const s = [...v].sort((a, b) => a - b);
    return [quantile(s, 0.25), quantile(s, 0.75)];
  }
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return [mean - std, mean + std];
}

const unitInterval = (v: number | null): number | null => (v === null ? null : Math.min(1, Math.max(0, v)));

/**
 * Bands per (model, hidden_index): the per-sequence first-token norm ratio (first / mean of the
 * others, per sequence), the per-sequence Sink_1 of the layer, and H / ln T (the last two cut to [0, 1]).
 */
export function sequenceBands(metricsSequences: RowSource, entropySequences: RowSource, kind: BandKind): BandRow[] {
  const m = readTable('sequenceBands', 'metrics_sequences', metricsSequences, ['model', 'hidden_index', 'sequence', 'first_token_norm', 'other_tokens_mean_norm', 'sink_rate']);
  const e = readTable('sequenceBands', 'entropy_sequences', entropySequences, ['model', 'hidden_index', 'sequence', 'entropy_normalized']);
  const groups = new Map<string, { model: string; hidden_index: number; ratio: (number | null)[]; sink: (number | null)[]; entropy: (number | null)[] }>();
  const group = (model: string, i: number) => {
    const key = `${model}\u0000${i}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { model, hidden_index: i, ratio: [], sink: [], entropy: [] }));
    return g;
  };
  for (const r of m) {
    const g = group(r.model, r.hidden_index);
    g.ratio.push(r.first_token_norm !== null && r.other_tokens_mean_norm ? r.first_token_norm / r.other_tokens_mean_norm : null);
    g.sink.push(r.sink_rate);
  }
  for (const r of e) group(r.model, r.hidden_index).entropy.push(r.entropy_normalized);
  return [...groups.values()].map((g) => {
    const [nLoRaw, nHi] = spread(g.ratio, kind);
    // the ratio is drawn on a log axis: a band reaching 0 or below is cut at the smallest ratio seen
    const smallest = Math.min(...g.ratio.filter((r): r is number => r !== null && r > 0));
    const nLo = nLoRaw === null ? null : nLoRaw > 0 ? nLoRaw : Number.isFinite(smallest) ? smallest : null;
    // Sink_1 and H / ln T live in [0, 1]: a +-1 std band is cut there (an IQR band already is)
    const [sLo, sHi] = spread(g.sink, kind).map(unitInterval);
    const [eLo, eHi] = spread(g.entropy, kind).map(unitInterval);
    return { model: g.model, hidden_index: g.hidden_index, norm_ratio_lo: nLo, norm_ratio_hi: nHi, sink_rate_lo: sLo, sink_rate_hi: sHi, entropy_normalized_lo: eLo, entropy_normalized_hi: eHi };
  });
}
