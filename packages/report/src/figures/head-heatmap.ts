// Figure 2: mean alpha_1 per (layer, head), the first-token attention score averaged over queries
// and sequences (Gu et al. 2025, figs. 19-24 style heatmaps).
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { PANEL, SEQUENTIAL_SCHEME } from '../theme.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec, heatmapStep, numberTip, textTip } from './common.js';

const FIGURE = 'headSinkHeatmapFigure';

/** Columns of the `heads` table this figure reads. */
export const HEAD_HEATMAP_COLUMNS = ['model', 'layer', 'head', 'mean_alpha1', 'sink_rate'] as const;

/**
 * Heatmap of `mean_alpha1` with heads on x and layers on y (layer 0 at the top), one panel per
 * model. The colour domain is fixed to [0, 1] (alpha_1 is an attention weight) so panels and
 * figures compare by colour.
 */
export function headSinkHeatmapFigure(heads: RowSource, caption: CaptionContext): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const rows = readTable(FIGURE, 'heads', heads, HEAD_HEATMAP_COLUMNS);
  const maxCells = Math.max(
    ...distinct(rows.map((row) => row.model)).map((model) => {
      const own = rows.filter((row) => row.model === model);
      return Math.max(distinct(own.map((row) => row.layer)).length, distinct(own.map((row) => row.head)).length);
    }),
  );
  const step = heatmapStep(maxCells, PANEL.heatmapMaxSide);
  return figureSpec({
    title: figureTitle('First-token attention α₁ per layer and head', context, [
      'α₁ = attention to the first token averaged over queries and sequences',
    ]),
    datasets: { heads: rows },
    data: 'heads',
    body: {
      facet: { column: { field: 'model', type: 'nominal', title: null } },
      spec: {
        width: { step },
        height: { step },
        mark: { type: 'rect' },
        encoding: {
          x: { field: 'head', type: 'ordinal', title: 'head', axis: { labelAngle: 0, labelOverlap: 'greedy' } },
          y: { field: 'layer', type: 'ordinal', title: 'attention layer', axis: { labelOverlap: 'greedy' } },
          color: {
            field: 'mean_alpha1',
            type: 'quantitative',
            title: 'mean α₁',
            scale: { scheme: SEQUENTIAL_SCHEME, domain: [0, 1] },
            // A fixed length: the default one is a signal that breaks with independent ordinal
            // scales in a facet ("datum is not defined", vega/vega-lite#7824).
            legend: { gradientLength: 120 },
          },
          tooltip: [
            textTip('model'),
            textTip('layer'),
            textTip('head'),
            numberTip('mean_alpha1', 'mean α₁'),
            { field: 'sink_rate', type: 'quantitative', format: '.2%', title: 'Sink₁ rate' },
          ],
        },
      },
      resolve: { scale: { x: 'independent', y: 'independent' } },
    },
  });
}
