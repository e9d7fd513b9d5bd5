// Gu et al. 2025, fig. 5 (middle): Sink_k^eps against the key position k. A sink on the first token
// shows as Sink_1 high and Sink_k>1 near 0; a model that sinks on later tokens keeps Sink_k up.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec, numberTip, seriesColor, sinkRateY, textTip } from './common.js';

const FIGURE = 'sinkKFigure';

/** Columns of the `sink_k` table this figure reads. */
export const SINK_K_COLUMNS = ['model', 'k', 'sink_rate', 'mean_alpha'] as const;

/**
 * One line per model: Sink_k rate (fraction of heads whose mean attention to key k exceeds eps)
 * against k. Rows that carry a `dataset` (a pipeline with several datasets) get one panel per dataset.
 */
export function sinkKFigure(sinkK: RowSource, caption: CaptionContext): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const source = [...sinkK];
  const byDataset = source.length > 0 && typeof (source[0] as { dataset?: unknown }).dataset === 'string';
  const rows = readTable(FIGURE, 'sink_k', source, SINK_K_COLUMNS).map((row, index) => {
    if (row.k < 1) throw new RangeError(`${FIGURE}: table 'sink_k' row ${index} column 'k' must be >= 1 (got ${row.k})`);
    if (!byDataset) return row;
    const dataset = (source[index] as { dataset?: unknown }).dataset;
    if (typeof dataset !== 'string') throw new TypeError(`${FIGURE}: table 'sink_k' row ${index} column 'dataset' must be a string (got ${String(dataset)})`);
    return { ...row, dataset };
  });
  const models = distinct(rows.map((r) => r.model));
  const ks = distinct(rows.map((r) => r.k)).sort((a, b) => a - b);
  const view = {
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'k', type: 'quantitative' as const, title: 'key position k (1 = first token)', scale: { domain: [ks[0], ks[ks.length - 1]], nice: false }, axis: { values: ks, format: 'd' } },
      y: sinkRateY('sink_rate', 'Sinkₖ rate (% heads > ε)'),
      color: { ...seriesColor(FIGURE, 'model', 'model', models), legend: { symbolType: 'stroke' as const } },
      tooltip: [textTip('model'), textTip('k'), { field: 'sink_rate', type: 'quantitative' as const, format: '.2%', title: 'Sinkₖ rate' }, numberTip('mean_alpha', 'mean attention to key k')],
    },
  };
  return figureSpec({
    title: figureTitle('Sinkₖ rate against the key position k', context, ['Sinkₖ: share of heads whose attention to key k, averaged over queries, exceeds ε (k = 1: the first token)']),
    datasets: { sink_k: rows },
    data: 'sink_k',
    body: byDataset ? { facet: { column: { field: 'dataset', type: 'nominal', title: null } }, spec: view } : view,
  });
}
