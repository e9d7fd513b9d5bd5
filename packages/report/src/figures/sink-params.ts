// Gu et al. 2025, fig. 4 (left): Sink_1 against model size, one line per model family, log x axis.
// Parameter counts and families come from the checkpoints (config and family adapter), not names.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec, seriesColor, sinkRateY, textTip } from './common.js';

const FIGURE = 'sinkParamsFigure';

/** Columns of the `sink_params` table this figure reads. */
export const SINK_PARAMS_COLUMNS = ['model', 'family', 'parameters', 'sink_rate'] as const;

/** Sink_1 against the parameter count (log axis): one line per family through its models in size order, each point labelled. */
export function sinkParamsFigure(rows: RowSource, caption: CaptionContext): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const points = readTable(FIGURE, 'sink_params', rows, SINK_PARAMS_COLUMNS).map((row, index) => {
    if (row.parameters < 1) throw new RangeError(`${FIGURE}: table 'sink_params' row ${index} column 'parameters' must be >= 1 (got ${row.parameters})`);
    return row;
  });
  const seen = new Set<string>();
  for (const p of points) {
    if (seen.has(p.model)) throw new RangeError(`${FIGURE}: table 'sink_params' has model ${p.model} twice`);
    seen.add(p.model);
  }
  const families = distinct(points.map((p) => p.family));
  const color = seriesColor(FIGURE, 'family', 'family', families);
  const x = { field: 'parameters', type: 'quantitative' as const, title: 'parameters (log)', scale: { type: 'log' as const }, axis: { labelExpr: "replace(format(datum.value, '~s'), 'G', 'B')" } }; // 1B, not d3's 1G
  return figureSpec({
    title: figureTitle('Sink₁ rate against model size, by family', context, ['parameter counts from each checkpoint, families from its model-io adapter']),
    datasets: { sink_params: [...points].sort((a, b) => a.family.localeCompare(b.family) || a.parameters - b.parameters) },
    data: 'sink_params',
    body: {
      width: 360,
      height: 220,
      layer: [
        {
          mark: { type: 'line', point: { filled: true, size: 50 } },
          encoding: {
            x,
            y: sinkRateY(),
            color: { ...color, legend: { symbolType: 'stroke' } },
            order: { field: 'parameters', type: 'quantitative' },
            tooltip: [textTip('model'), textTip('family'), { field: 'parameters', type: 'quantitative', format: ',', title: 'parameters' }, { field: 'sink_rate', type: 'quantitative', format: '.2%', title: 'Sink₁ rate' }],
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 10 },
          encoding: { x, y: sinkRateY(), text: { field: 'model', type: 'nominal' }, color },
        },
      ],
    },
  });
}
