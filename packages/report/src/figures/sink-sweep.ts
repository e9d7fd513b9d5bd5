// Figure 5 (Gu et al. 2025, figs. 3-4 style): Sink_1^eps against sequence length T for several
// thresholds eps, and Sink_1 compared across models at one T.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { formatNumber } from '../format.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec, listOf, numberTip, sinkRateY, textTip } from './common.js';

const FIGURE = 'sinkSweepFigure';

/** Columns of the `sink_sweep` table this figure reads. */
export const SINK_SWEEP_COLUMNS = ['model', 'eps', 'seq_len', 'sink_rate'] as const;

export interface SinkSweepOptions {
  /** T of the across-models panel; default: caption.seqLen when it is one value every model has, else each model's largest T. */
  seqLen?: number;
}

/** eps is ordered, so it gets an ordered colour-blind-safe ramp (viridis without its pale yellow end). */
const EPS_COLOR_SCALE = { scheme: { name: 'viridis', extent: [0, 0.85] } };

/**
 * Left: one panel per model, Sink_1 rate against T (log2 axis) with one line per eps. Right: one
 * bar group per model, one bar per eps, at a single T per model (named in the panel title).
 */
export function sinkSweepFigure(sweep: RowSource, caption: CaptionContext, options: SinkSweepOptions = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const rows = readTable(FIGURE, 'sink_sweep', sweep, SINK_SWEEP_COLUMNS).map((row, index) => {
    if (row.seq_len < 1) throw new RangeError(`${FIGURE}: table 'sink_sweep' row ${index} column 'seq_len' must be >= 1 (got ${row.seq_len})`);
    if (row.eps === null) throw new RangeError(`${FIGURE}: table 'sink_sweep' row ${index} column 'eps' is NaN or null`);
    // eps is stored as float32: show the threshold as it was set (0.1, not 0.10000000149011612)
    return { ...row, eps: Number(formatNumber(row.eps)) };
  });
  const models = distinct(rows.map((row) => row.model));
  const requested = options.seqLen ?? (context.seqLens.length === 1 ? context.seqLens[0] : undefined);
  const chosenT = new Map(
    models.map((model) => {
      const lengths = rows.filter((row) => row.model === model).map((row) => row.seq_len);
      if (options.seqLen !== undefined && !lengths.includes(options.seqLen)) {
        throw new RangeError(`${FIGURE}: options.seqLen ${options.seqLen} not in table 'sink_sweep' for model ${model} (has ${listOf(distinct(lengths).sort((a, b) => a - b))})`);
      }
      return [model, requested !== undefined && lengths.includes(requested) ? requested : Math.max(...lengths)];
    }),
  );
  const atT = rows.filter((row) => row.seq_len === chosenT.get(row.model));
  const lengthsUsed = distinct([...chosenT.values()]);
  const seqLens = distinct(rows.map((row) => row.seq_len)).sort((a, b) => a - b);
  const eps = {
    field: 'eps',
    type: 'ordinal' as const,
    title: 'ε',
    scale: EPS_COLOR_SCALE,
    sort: 'ascending' as const,
  };
  return figureSpec({
    title: figureTitle('Sink₁ rate against sequence length and across models', context),
    datasets: { sink_sweep: rows, sink_sweep_at_t: atT },
    body: {
      hconcat: [
        {
          data: { name: 'sink_sweep' },
          facet: { column: { field: 'model', type: 'nominal', title: null } },
          spec: {
            mark: { type: 'line', point: true },
            encoding: {
              x: {
                field: 'seq_len',
                type: 'quantitative',
                title: 'sequence length T (tokens, log₂)',
                scale: { type: 'log', base: 2, nice: false },
                axis: { values: seqLens, format: 'd', labelOverlap: 'greedy' },
              },
              y: sinkRateY(),
              color: eps,
              tooltip: [textTip('model'), textTip('seq_len', 'T'), textTip('eps', 'ε'), { field: 'sink_rate', type: 'quantitative', format: '.2%', title: 'Sink₁ rate' }],
            },
          },
        },
        {
          data: { name: 'sink_sweep_at_t' },
          title: {
            text: lengthsUsed.length === 1 ? `across models, T = ${lengthsUsed[0]}` : "across models, each model's largest T",
            fontSize: 12,
          },
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'model', type: 'nominal', title: 'model', sort: models, axis: { labelAngle: -30 } },
            xOffset: { field: 'eps', type: 'ordinal', sort: 'ascending' },
            y: sinkRateY(),
            color: eps,
            tooltip: [textTip('model'), textTip('seq_len', 'T'), textTip('eps', 'ε'), numberTip('sink_rate', 'Sink₁ rate (fraction)')],
          },
        },
      ],
    },
  });
}
