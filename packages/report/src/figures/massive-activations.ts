// Figure 6: massive activations (Sun et al. 2024, "Massive Activations in Large Language Models"):
// the largest |activation| of each hidden state against hidden_index on a log axis, with the median
// |activation| for scale and the layer where they emerge marked by a rule.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { BOUND_DASH, REFERENCE_COLOR, SERIES_COLORS } from '../theme.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec, numberTip, ONE_ROW, textTip } from './common.js';
import { depthX } from './profile-panels.js';

const FIGURE = 'massiveActivationsFigure';

/** Columns of the `massive` table this figure reads. */
export const MASSIVE_COLUMNS = ['model', 'hidden_index', 'rank', 'abs_value', 'token', 'dim', 'median_abs'] as const;

export interface MassiveActivationsOptions {
  /** Emergence layer from the table's metadata `emergence_hidden_index`: one number (one model) or one per model. */
  emergenceHiddenIndex?: number | Readonly<Record<string, number>>;
  /** How many ranks to draw (rank 0 = largest). Default 3, at most 5. */
  topRanks?: number;
  /** |a| threshold drawn as a dotted rule (Sun et al. 2024 use 100); null hides it. Default 100. */
  threshold?: number | null;
  /** x axis: hidden-state index (default) or relative depth = hidden_index / L, so models of different depth overlay. */
  depthAxis?: 'hidden-index' | 'relative-depth';
  /** Number of blocks L per model; required for relative depth. */
  blocks?: Readonly<Record<string, number>>;
}

export const MEDIAN_SERIES = 'median |a|';

interface MassivePoint {
  model: string;
  hidden_index: number;
  relative_depth: number | null;
  series: string;
  abs_value: number | null;
  token: number | null;
  dim: number | null;
  emergence_hidden_index: number | null;
}

function emergenceFor(model: string, models: readonly string[], option: MassiveActivationsOptions['emergenceHiddenIndex']): number | null {
  if (option === undefined) return null;
  if (typeof option === 'number') {
    if (models.length > 1) {
      throw new RangeError(`${FIGURE}: options.emergenceHiddenIndex is one number but the table holds ${models.length} models; pass { [model]: index }`);
    }
    return option;
  }
  return option[model] ?? null;
}

/** Positive values only: a log axis cannot place 0 (a zero median is left out, not drawn at the floor). */
function positive(value: number | null): number | null {
  return value !== null && value > 0 ? value : null;
}

export function massiveActivationsFigure(massive: RowSource, caption: CaptionContext, options: MassiveActivationsOptions = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const topRanks = options.topRanks ?? 3;
  if (!Number.isInteger(topRanks) || topRanks < 1 || topRanks > 5) {
    throw new RangeError(`${FIGURE}: options.topRanks must be an integer in [1, 5] (got ${topRanks})`);
  }
  const threshold = options.threshold === undefined ? 100 : options.threshold;
  const rows = readTable(FIGURE, 'massive', massive, MASSIVE_COLUMNS);
  const models = distinct(rows.map((row) => row.model));
  const points: MassivePoint[] = [];
  const byLayer = new Map<string, typeof rows>();
  for (const row of rows) {
    const key = JSON.stringify([row.model, row.hidden_index]);
    byLayer.set(key, [...(byLayer.get(key) ?? []), row]);
  }
  for (const group of byLayer.values()) {
    const { model, hidden_index } = group[0];
    const where = `${FIGURE}: table 'massive' model ${model} hidden_index ${hidden_index}`;
    const ranked = [...group].sort((a, b) => a.rank - b.rank);
    for (let i = 1; i < ranked.length; i++) {
      if (ranked[i].rank === ranked[i - 1].rank) throw new RangeError(`${where}: rank ${ranked[i].rank} appears twice`);
      const [larger, smaller] = [ranked[i - 1].abs_value, ranked[i].abs_value];
      if (larger !== null && smaller !== null && smaller > larger) {
        throw new RangeError(`${where}: abs_value of rank ${ranked[i].rank} (${smaller}) exceeds rank ${ranked[i - 1].rank} (${larger}); ranks must be sorted by |a|`);
      }
    }
    const medians = distinct(group.map((row) => row.median_abs));
    if (medians.length > 1) throw new RangeError(`${where}: median_abs differs between rows (${medians.join(', ')}); it is one value per hidden state`);
    const emergence = emergenceFor(model, models, options.emergenceHiddenIndex);
    const blocks = options.blocks?.[model];
    if (options.depthAxis === 'relative-depth' && !blocks) throw new RangeError(`${FIGURE}: relative depth needs options.blocks['${model}']`);
    const relative_depth = blocks ? hidden_index / blocks : null;
    for (const row of ranked.filter((r) => r.rank < topRanks)) {
      points.push({
        model,
        hidden_index,
        relative_depth,
        series: `top ${row.rank + 1}`,
        abs_value: positive(row.abs_value),
        token: row.token,
        dim: row.dim,
        emergence_hidden_index: emergence,
      });
    }
    points.push({ model, hidden_index, relative_depth, series: MEDIAN_SERIES, abs_value: positive(medians[0]), token: null, dim: null, emergence_hidden_index: emergence });
  }
  const x = depthX(options.depthAxis);
  const series = [...Array.from({ length: topRanks }, (_, r) => `top ${r + 1}`), MEDIAN_SERIES];
  const emergenceNote = models
    .map((model) => [model, emergenceFor(model, models, options.emergenceHiddenIndex)] as const)
    .filter(([, index]) => index !== null)
    .map(([model, index]) => (models.length > 1 ? `${model}: ${index}` : String(index)));
  return figureSpec({
    title: figureTitle('Massive activations: largest |activation| per hidden state', context, [
      `top ${topRanks} |a| and the median |a| per hidden state` +
        (emergenceNote.length > 0 ? `; emergence (vertical rule) at hidden index ${emergenceNote.join(', ')}` : '') +
        (threshold === null ? '' : `; dotted: |a| = ${threshold}`),
    ]),
    datasets: { massive: points },
    data: 'massive',
    body: {
      facet: { column: { field: 'model', type: 'nominal', title: null } },
      spec: {
        layer: [
          ...(threshold === null
            ? []
            : [
                {
                  transform: [ONE_ROW],
                  mark: { type: 'rule' as const, strokeDash: [2, 2], color: REFERENCE_COLOR },
                  encoding: { y: { datum: threshold, type: 'quantitative' as const } },
                },
              ]),
          // the emergence rule only when some model has one (an empty layer makes Vega warn of an infinite extent)
          ...(emergenceNote.length === 0
            ? []
            : [
                {
                  transform: [{ filter: `datum.series === 'top 1' && datum.hidden_index === datum.emergence_hidden_index` }],
                  layer: [
                    { mark: { type: 'rule' as const, color: REFERENCE_COLOR, strokeWidth: 1.5 }, encoding: { x } },
                    {
                      mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, dx: 3, dy: 2, color: '#444444', fontSize: 10 },
                      encoding: { x, y: { value: 0 }, text: { value: 'emergence' } },
                    },
                  ],
                },
              ]),
          {
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'abs_value', type: 'quantitative', title: '|activation| (log)', scale: { type: 'log' } },
              color: {
                field: 'series',
                type: 'nominal',
                title: null,
                scale: { domain: series, range: [...SERIES_COLORS.slice(0, topRanks), REFERENCE_COLOR] },
                legend: { symbolType: 'stroke' },
              },
              strokeDash: {
                field: 'series',
                type: 'nominal',
                title: null,
                scale: { domain: series, range: [...series.slice(0, topRanks).map(() => [1, 0]), BOUND_DASH] },
                legend: { symbolType: 'stroke' },
              },
              tooltip: [
                textTip('model'),
                textTip('hidden_index', 'hidden index'),
                textTip('series'),
                numberTip('abs_value', '|a|'),
                textTip('token', 'token position'),
                textTip('dim', 'dimension'),
              ],
            },
          },
        ],
      },
      resolve: { scale: { x: 'independent', y: 'independent' } },
    },
  });
}
