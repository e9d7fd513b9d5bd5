import { markdownTable } from '@sinkscope/report';
import type { ModelTables } from './layers-table.js';

function fmt(x: unknown, digits: number): string {
  const v = Number(x);
  if (!Number.isFinite(v)) return '-';
  return Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toFixed(digits);
}

const HEADER = ['hidden state', 'layer', 'Sink_1 %', 'first-token norm ratio', 'top abs activation', 'entropy (norm.)', 'bound (norm.)', 'mean cosine', 'p1 (anisotropy)', 'phase'];

/** The per-layer table printed at the end of a run (and pasted into summary.md), rounded for reading. */
export function layerTableMarkdown(model: ModelTables): string {
  const cells = model.tables.layers.map((r) => {
    const T = Number(r.seq_len);
    return [
      String(r.hidden_index),
      Number(r.layer) < 0 ? 'embed' : String(r.layer),
      Number.isFinite(Number(r.sink_rate)) ? (100 * Number(r.sink_rate)).toFixed(2) : '-',
      fmt(r.norm_ratio, 2),
      fmt(r.top_activation, 2),
      fmt(r.entropy_normalized, 3),
      fmt(Number(r.entropy_bound) / Math.log(T), 3),
      fmt(r.mean_cosine, 3),
      fmt(r.p1, 3),
      `${r.phase ?? '-'}${r.transition ? ' (transition)' : ''}`,
    ];
  });
  return markdownTable(HEADER, cells, [true, false, true, true, true, true, true, true, true, false]);
}
