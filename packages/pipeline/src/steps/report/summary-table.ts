import type { ModelTables } from './layers-table.js';

function fmt(x: unknown, digits: number): string {
  const v = Number(x);
  if (!Number.isFinite(v)) return '-';
  return Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toFixed(digits);
}

/** The per-layer table printed at the end of a run (and pasted into summary.md). */
export function layerTableMarkdown(model: ModelTables): string {
  const header = ['hidden state', 'layer', 'Sink_1 %', 'first-token norm ratio', 'top |activation|', 'entropy (norm.)', 'bound (norm.)', 'mean cosine', 'p1 (anisotropy)', 'phase'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of model.tables.layers) {
    const T = Number(r.seq_len);
    lines.push(
      `| ${r.hidden_index} | ${Number(r.layer) < 0 ? 'embed' : r.layer} | ${Number.isFinite(Number(r.sink_rate)) ? (100 * Number(r.sink_rate)).toFixed(2) : '-'} | ${fmt(r.norm_ratio, 2)} | ${fmt(r.top_activation, 2)} | ${fmt(r.entropy_normalized, 3)} | ${fmt(Number(r.entropy_bound) / Math.log(T), 3)} | ${fmt(r.mean_cosine, 3)} | ${fmt(r.p1, 3)} | ${r.phase ?? '-'}${r.transition ? ' (transition)' : ''} |`,
    );
  }
  return lines.join('\n');
}
