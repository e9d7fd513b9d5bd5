// Gu et al. 2025, Table 1: the same models' Sink_1 on different input data (natural text, random
// tokens, one token repeated), side by side.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec, seriesColor, sinkRateY, textTip } from './common.js';

const FIGURE = 'datasetSinksFigure';

/** Columns of the `dataset_sinks` table this figure reads. */
export const DATASET_SINKS_COLUMNS = ['model', 'dataset', 'sink_rate'] as const;

/** One bar group per model, one bar per dataset (in first-seen order), Sink_1 rate on the y axis. */
export function datasetSinksFigure(rows: RowSource, caption: CaptionContext): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const points = readTable(FIGURE, 'dataset_sinks', rows, DATASET_SINKS_COLUMNS);
  const models = distinct(points.map((p) => p.model));
  const datasets = distinct(points.map((p) => p.dataset));
  const seen = new Set<string>();
  for (const p of points) {
    const key = `${p.model}\u0000${p.dataset}`;
    if (seen.has(key)) throw new RangeError(`${FIGURE}: table 'dataset_sinks' has model ${p.model} on dataset ${p.dataset} twice`);
    seen.add(key);
  }
  return figureSpec({
    title: figureTitle('Sink₁ rate by input data', context),
    datasets: { dataset_sinks: points },
    data: 'dataset_sinks',
    body: {
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'model', type: 'nominal', title: 'model', sort: models, axis: { labelAngle: -30 } },
        xOffset: { field: 'dataset', type: 'nominal', sort: datasets },
        y: sinkRateY(),
        color: seriesColor(FIGURE, 'dataset', 'dataset', datasets),
        tooltip: [textTip('model'), textTip('dataset'), { field: 'sink_rate', type: 'quantitative', format: '.2%', title: 'Sink₁ rate' }],
      },
    },
  });
}
